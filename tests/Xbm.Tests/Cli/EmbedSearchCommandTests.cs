using System.Globalization;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.IO;
using Xbm.Reporting;
using Xbm.Runtime;

namespace Xbm.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class EmbedSearchCommandTests(TinyRuns runs)
{
    /// <summary>Writes test item <paramref name="position"/> of the Fashion fixture as a 28×28 grey PNG.</summary>
    private string WritePng(string folder, int position)
    {
        var set = (TensorImageSet)runs.Test.Queries;
        var plane = set.Images.bytes.Slice(position * 28 * 28, 28 * 28);
        var pixels = new byte[28 * 28 * 3];
        for (int i = 0; i < plane.Length; i++)
            pixels.AsSpan(3 * i, 3).Fill(plane[i]);
        string path = Path.Combine(folder, $"item{position}.png");
        File.WriteAllBytes(path, ImageDecoder.EncodePng(new RgbImage(28, 28, pixels)));
        return path;
    }

    private static List<string[]> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal("query,rank,index,similarity,label,path", lines[0]);
        return lines.Skip(1).Select(l => l.Split(',')).ToList();
    }

    [Fact]
    public void EmbedWritesVectorsLabelsAndPathsThatNumpyReads()
    {
        string folder = runs.Scratch("embed");
        string output = CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--out", Path.Combine(folder, "vectors.npy"));
        Assert.Contains("embedded 150 images of fashion_mnist test (8 dimensions)", output);

        var header = Npy.ReadHeader(Path.Combine(folder, "vectors.npy"));
        Assert.Equal("<f4", header.Descr);
        Assert.Equal(new long[] { 150, 8 }, header.Shape);
        var (vectors, labels, paths) = EmbeddingFiles.For(Path.Combine(folder, "vectors.npy")).Read();
        using (vectors)
        {
            using var norms = vectors.norm(1);
            Assert.True(norms.sub(Scalars.One).abs().max().item<float>() < 1e-5f, "embeddings are L2-normalised");
        }
        Assert.Equal(runs.Test.Queries.Labels, labels);
        Assert.Equal(Enumerable.Range(0, 150).Select(i => $"fashion_mnist:{i}"), paths);

        // The training split, under the other naming rule.
        CliRunner.Succeeds("embed", "--checkpoint", runs.NoMemory, "--split", "train", "--out", Path.Combine(folder, "train.npy"));
        var (_, trainLabels, _) = EmbeddingFiles.For(Path.Combine(folder, "train.npy")).Read();
        Assert.Equal(Enumerable.Range(0, 5).Select(c => ((long)c, TinyRuns.PerClass)), trainLabels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())));

        string noValidation = CliRunner.FailsWithUserError("embed", "--checkpoint", runs.Xbm, "--split", "validation", "--out", Path.Combine(folder, "v.npy"));
        Assert.Contains("has no validation split", noValidation);
    }

    [Fact]
    public void SearchWithAnItemsImageFindsThatItemFirst()
    {
        string folder = runs.Scratch("search");
        string index = Path.Combine(folder, "vectors.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--out", index);

        string query = WritePng(folder, 17);
        string table = CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--query", query, "--k", "4");
        Assert.Contains($"query: {query}", table);
        Assert.Contains("fashion_mnist:17", table);
        Assert.Contains($"({FashionMnist.ClassNames[(int)runs.Test.Queries.Labels[17]]})", table);

        string csv = Path.Combine(folder, "single.csv");
        CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--query", query, "--k", "4", "--out", csv);
        var rows = ReadCsv(csv);
        Assert.Equal(4, rows.Count);
        Assert.Equal("17", rows[0][2]);
        Assert.True(float.Parse(rows[0][3], CultureInfo.InvariantCulture) > 0.9999f, $"similarity to itself {rows[0][3]}");
        Assert.Equal(runs.Test.Queries.Labels[17].ToString(CultureInfo.InvariantCulture), rows[0][4]);
        Assert.Equal("fashion_mnist:17", rows[0][5]);
        Assert.Equal(["1", "2", "3", "4"], rows.Select(r => r[1]));

        // Batch mode: a list with relative paths and a comment.
        WritePng(folder, 98);
        File.WriteAllText(Path.Combine(folder, "queries.txt"), "# two items\nitem17.png\n\nitem98.png\n");
        string batch = Path.Combine(folder, "batch.csv");
        CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--queries", Path.Combine(folder, "queries.txt"), "--k", "3", "--out", batch);
        rows = ReadCsv(batch);
        Assert.Equal(6, rows.Count);
        Assert.Equal(["17", "98"], rows.Where(r => r[1] == "1").Select(r => r[2]));
        Assert.EndsWith("item98.png", rows[3][0]);
    }

    [Fact]
    public void FileDatasetsGiveImagePathsAndSearchByFile()
    {
        string folder = runs.Scratch("files");
        string index = Path.Combine(folder, "vectors.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--out", index);
        var (vectors, labels, paths) = EmbeddingFiles.For(index).Read();
        vectors.Dispose();
        Assert.Equal(4, paths.Length);
        Assert.All(paths, p => Assert.True(File.Exists(p), p));
        Assert.Equal([3L, 3, 4, 4], labels);

        string query = paths.Single(p => p.EndsWith("dog1.png", StringComparison.Ordinal));
        string csv = Path.Combine(folder, "out.csv");
        CliRunner.Succeeds("search", "--checkpoint", runs.Files, "--index", index, "--query", query, "--k", "2", "--out", csv);
        var rows = ReadCsv(csv);
        Assert.Equal(query, rows[0][5]);
        Assert.True(float.Parse(rows[0][3], CultureInfo.InvariantCulture) > 0.9999f);
    }
}
