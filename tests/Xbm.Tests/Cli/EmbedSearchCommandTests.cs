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

        // A file that is not in the index is embedded and finds its copy in the index first.
        string query = paths.Single(p => p.EndsWith("dog1.png", StringComparison.Ordinal));
        string copy = Path.Combine(folder, "copy-of-dog1.png");
        File.Copy(query, copy);
        string csv = Path.Combine(folder, "out.csv");
        CliRunner.Succeeds("search", "--checkpoint", runs.Files, "--index", index, "--query", copy, "--k", "2", "--out", csv);
        var rows = ReadCsv(csv);
        Assert.Equal(query, rows[0][5]);
        Assert.True(float.Parse(rows[0][3], CultureInfo.InvariantCulture) > 0.9999f);

        // The class names of a folder dataset appear in the table, not bare label numbers.
        string table = CliRunner.Succeeds("search", "--checkpoint", runs.Files, "--index", index, "--query", copy, "--k", "4");
        Assert.Contains("3 (dog)", table);
        Assert.Contains("4 (eel)", table);
    }

    [Fact]
    public void SearchByAnIndexItemLeavesTheItemOut()
    {
        string folder = runs.Scratch("search-item");
        string index = Path.Combine(folder, "vectors.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--out", index);
        string query = WritePng(folder, 17);
        string byImage = Path.Combine(folder, "image.csv"), byRow = Path.Combine(folder, "row.csv"), byPath = Path.Combine(folder, "path.csv");
        CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--query", query, "--k", "5", "--out", byImage);
        CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--query", "row:17", "--k", "4", "--out", byRow);
        CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--query", "fashion_mnist:17", "--k", "4", "--out", byPath);
        var image = ReadCsv(byImage);
        var row = ReadCsv(byRow);
        Assert.Equal("17", image[0][2]);
        Assert.Equal(4, row.Count);
        Assert.DoesNotContain(row, r => r[2] == "17");
        Assert.Equal(image.Skip(1).Select(r => r[2]), row.Select(r => r[2])); // the same neighbours, minus the item itself
        Assert.Equal(row.Select(r => r[2]), ReadCsv(byPath).Select(r => r[2]));

        string table = CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--query", "row:17", "--k", "2");
        Assert.Contains("query: row:17 (fashion_mnist:17)", table);
        Assert.Contains("rows (row:0 to row:149)", CliRunner.FailsWithUserError("search", "--checkpoint", runs.Xbm, "--index", index, "--query", "row:150"));
        Assert.Contains("is not a row number", CliRunner.FailsWithUserError("search", "--checkpoint", runs.Xbm, "--index", index, "--query", "row:x"));

        // An indexed file path of a folder dataset is an index item too.
        string files = Path.Combine(folder, "files.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--out", files);
        string dog1 = Path.Combine(TinyRuns.FolderDataset, "test", "dog", "dog1.png");
        string csv = Path.Combine(folder, "files.csv");
        CliRunner.Succeeds("search", "--checkpoint", runs.Files, "--index", files, "--query", dog1, "--k", "10", "--out", csv);
        var rows = ReadCsv(csv);
        Assert.Equal(3, rows.Count);
        Assert.DoesNotContain(rows, r => r[5] == dog1);
    }

    [Fact]
    public void SearchRefusesACheckpointThatDidNotEmbedTheIndex()
    {
        string folder = runs.Scratch("mismatch");
        string index = Path.Combine(folder, "vectors.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--out", index);
        var info = EmbeddingFiles.For(index).ReadInfo()!;
        Assert.Equal(Xbm.Training.Checkpoint.Latest(runs.Xbm), info.Checkpoint);
        Assert.Equal(64, info.WeightsSha256.Length);
        Assert.Equal("Sandal", info.ClassNames![5]);

        // Same dimension (8), other weights: the old code searched silently.
        string error = CliRunner.FailsWithUserError("search", "--checkpoint", runs.NoMemory, "--index", index, "--query", "row:3");
        Assert.Contains(Path.Combine(folder, "index.json"), error);
        Assert.Contains($"embedded with {info.Checkpoint}", error);
        Assert.Contains(Xbm.Training.Checkpoint.Latest(runs.NoMemory)!, error);
        CliRunner.Succeeds("search", "--checkpoint", runs.Xbm, "--index", index, "--query", "row:3");

        // An index from before index.json: searched, with a warning that the model cannot be checked.
        File.Delete(Path.Combine(folder, "index.json"));
        string warned = CliRunner.Succeeds("search", "--checkpoint", runs.NoMemory, "--index", index, "--query", "row:3");
        Assert.Contains($"warning: {Path.Combine(folder, "index.json")} is missing", warned);
    }

    [Fact]
    public void EmbedWritesOnlyNpy()
    {
        string folder = runs.Scratch("txt");
        string error = CliRunner.FailsWithUserError("embed", "--checkpoint", runs.Xbm, "--out", Path.Combine(folder, "vectors.txt"));
        Assert.Contains("vectors.txt", error);
        Assert.Contains(".npy", error);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void EmbedImagesOfAFolderWithTheRunsTestPreprocessing()
    {
        string folder = runs.Scratch("images");
        string split = Path.Combine(folder, "split.npy"), images = Path.Combine(folder, "images.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--out", split);
        string output = CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--images", Path.Combine(TinyRuns.FolderDataset, "test"), "--out", images);
        Assert.Contains("embedded 4 images (2 class folders, 0 without a class;", output);
        var (fromSplit, _, splitPaths) = EmbeddingFiles.For(split).Read();
        var (fromImages, labels, paths) = EmbeddingFiles.For(images).Read();
        using (fromSplit)
        using (fromImages)
            Assert.True(fromSplit.allclose(fromImages, rtol: 0, atol: 1e-6), "the same files embed to the same vectors as the dataset split");
        Assert.Equal(splitPaths, paths);
        Assert.Equal([0L, 0, 1, 1], labels);
        var info = EmbeddingFiles.For(images).ReadInfo()!;
        Assert.Equal(["dog", "eel"], info.ClassNames!.OrderBy(p => p.Key).Select(p => p.Value));

        // Recursion below the class folder, and an image without a class folder.
        string gallery = Path.Combine(folder, "gallery");
        Data.Images.PngFolders.Write(gallery, ["cat", "ant"], 2);
        Directory.CreateDirectory(Path.Combine(gallery, "cat", "deeper"));
        Data.Images.PngFolders.WriteOne(Path.Combine(gallery, "cat", "deeper", "x.png"), 0, 9);
        Data.Images.PngFolders.WriteOne(Path.Combine(gallery, "loose.png"), 1, 9);
        File.WriteAllText(Path.Combine(gallery, "notes.txt"), "not an image");
        string galleryIndex = Path.Combine(folder, "vectors.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--images", gallery, "--out", galleryIndex);
        var (vectors, galleryLabels, galleryPaths) = EmbeddingFiles.For(galleryIndex).Read();
        vectors.Dispose();
        Assert.Equal(["ant/ant0.png", "ant/ant1.png", "cat/cat0.png", "cat/cat1.png", "cat/deeper/x.png", "loose.png"],
            galleryPaths.Select(p => Path.GetRelativePath(gallery, p)));
        Assert.Equal([0L, 0, 1, 1, 1, -1], galleryLabels);
        // A folder dataset with split folders: the classes are below train/ and test/.
        string bySplit = Path.Combine(folder, "split-folders.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--images", TinyRuns.FolderDataset, "--out", bySplit);
        var (splitVectors, splitLabels, _) = EmbeddingFiles.For(bySplit).Read();
        splitVectors.Dispose();
        Assert.Equal([3L, 3, 4, 4, 0, 0, 1, 1, 2, 2], splitLabels); // test/dog, test/eel, train/ant, train/bee, train/cat: the dataset's own labels
        Assert.Equal(["ant", "bee", "cat", "dog", "eel"], EmbeddingFiles.For(bySplit).ReadInfo()!.ClassNames!.OrderBy(p => p.Key).Select(p => p.Value));

        string table = CliRunner.Succeeds("search", "--checkpoint", runs.Files, "--index", galleryIndex, "--query", "row:0", "--k", "5");
        Assert.Contains("1 (cat)", table);
        Assert.Contains("-1", table);
    }

    [Fact]
    public void EmbedImagesOfAListNamesBadLines()
    {
        string folder = runs.Scratch("list");
        string a = Data.Images.PngFolders.WriteOne(Path.Combine(folder, "a.png"), 0, 0);
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        string b = Data.Images.PngFolders.WriteOne(Path.Combine(folder, "sub", "b.png"), 1, 0);
        string list = Path.Combine(folder, "list.txt");
        File.WriteAllText(list, $"# my images\nsub/b.png\n\n{a}\n");
        string index = Path.Combine(folder, "out", "vectors.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--images", list, "--out", index);
        var (vectors, labels, paths) = EmbeddingFiles.For(index).Read();
        vectors.Dispose();
        Assert.Equal([b, a], paths);
        Assert.Equal([-1L, -1], labels);

        File.WriteAllText(list, "a.png\n\nmissing.png\n");
        Assert.Contains($"{list}:3: image not found", CliRunner.FailsWithUserError("embed", "--checkpoint", runs.Files, "--images", list, "--out", index));
        File.WriteAllText(list, "a.png\nlist.txt\n");
        Assert.Contains($"{list}:2: list.txt is not an image file", CliRunner.FailsWithUserError("embed", "--checkpoint", runs.Files, "--images", list, "--out", index));
        File.WriteAllBytes(Path.Combine(folder, "broken.png"), [1, 2, 3]);
        File.WriteAllText(list, "a.png\nbroken.png\n");
        string brokenOutput = CliRunner.FailsWithUserError("embed", "--checkpoint", runs.Files, "--images", list, "--out", index);
        Assert.StartsWith($"error: {list}:2: ", brokenOutput.Split('\n').Single(l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.Contains("cannot be combined with --images",
            CliRunner.FailsWithUserError("embed", "--checkpoint", runs.Files, "--images", folder, "--split", "train", "--out", index));
    }
}
