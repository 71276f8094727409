using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Tests.Reporting;

/// <summary>`xbm embed`'s files against the ones NumPy wrote for the same values (tools/fixtures/make_embedding_fixtures.py).</summary>
public sealed class EmbeddingFilesTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Reporting", "embedding");
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"xbm-embedding-{Guid.NewGuid():N}");

    private static readonly long[] Labels = [5, 5, 7, 123456789012];
    private static readonly string[] Paths = ["/data/cub/images/001.Black_footed_Albatross/a.jpg", "fashion_mnist:3", "/data/with space/b.png", "/data/ünïcode/c.png"];

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    private static Tensor Vectors()
    {
        var values = new float[12];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++)
                values[i * 3 + j] = (3 * i + j) * 0.25f - 1;
        return tensor(values, new long[] { 4, 3 });
    }

    [Theory]
    [InlineData("vectors.npy", "labels.npy", "paths.txt")]
    [InlineData("gallery.npy", "gallery.labels.npy", "gallery.paths.txt")]
    public void FilesAreByteIdenticalToNumpys(string vectors, string labels, string paths)
    {
        var files = EmbeddingFiles.For(Path.Combine(_folder, vectors));
        Assert.Equal(Path.Combine(_folder, labels), files.LabelsPath);
        Assert.Equal(Path.Combine(_folder, paths), files.PathsPath);
        using (var data = Vectors())
            files.Write(data, Labels, Paths);
        foreach (string name in new[] { vectors, labels, paths })
            Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures, name)), File.ReadAllBytes(Path.Combine(_folder, name)));
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp")); // atomic writes leave no temporary file behind
    }

    [Fact]
    public void ReadGivesBackWhatNumpyWrote()
    {
        var (vectors, labels, paths) = EmbeddingFiles.For(Path.Combine(Fixtures, "vectors.npy")).Read();
        using (vectors)
        using (var expected = Vectors())
            Assert.True(vectors.eq(expected).all().item<bool>());
        Assert.Equal(Labels, labels);
        Assert.Equal(Paths, paths);
    }

    [Fact]
    public void DisagreeingOrMissingFilesAreErrorsNamingTheFile()
    {
        var files = EmbeddingFiles.For(Path.Combine(_folder, "vectors.npy"));
        var missing = Assert.Throws<FileNotFoundException>(() => files.Read());
        Assert.Contains(files.VectorsPath, missing.Message);

        using (var data = Vectors())
            files.Write(data, Labels, Paths);
        File.WriteAllText(files.PathsPath, "only-one\n");
        var error = Assert.Throws<InvalidDataException>(() => files.Read());
        Assert.Contains(files.PathsPath + ": holds 1 lines, expected 4", error.Message);

        File.Delete(files.LabelsPath);
        Assert.Contains(files.LabelsPath, Assert.Throws<FileNotFoundException>(() => files.Read()).Message);

        using var data2 = Vectors();
        Assert.Throws<ArgumentException>(() => files.Write(data2, Labels, ["a", "b\nc", "d", "e"]));
    }

    [Fact]
    public void IndexRecordRoundTripsAndAStaleOneIsRemoved()
    {
        var files = EmbeddingFiles.For(Path.Combine(_folder, "gallery.npy"));
        Assert.Equal(Path.Combine(_folder, "gallery.index.json"), files.InfoPath);
        Assert.Equal(Path.Combine(_folder, "index.json"), EmbeddingFiles.For(Path.Combine(_folder, "vectors.npy")).InfoPath);
        var info = new IndexInfo("/runs/a/checkpoints/iter-00000010", new string('a', 64), 3, 4, new Dictionary<long, string> { [5] = "dog", [7] = "eel" });
        using (var data = Vectors())
            files.Write(data, Labels, Paths, info);
        var read = files.ReadInfo()!;
        Assert.Equal((info.Checkpoint, info.WeightsSha256, 3L, 4L), (read.Checkpoint, read.WeightsSha256, read.Dimension, read.Count));
        Assert.Equal("eel", read.ClassNames![7]);
        Assert.Contains("\"weights_sha256\"", File.ReadAllText(files.InfoPath));

        // Rewritten without a record: the old one would describe another model.
        using (var data = Vectors())
            files.Write(data, Labels, Paths);
        Assert.Null(files.ReadInfo());

        File.WriteAllText(files.InfoPath, "{ not json");
        Assert.Contains(files.InfoPath, Assert.Throws<InvalidDataException>(() => files.ReadInfo()).Message);
    }

    [Theory]
    [InlineData("vectors.txt")]
    [InlineData("vectors")]
    [InlineData("vectors.npz")]
    public void OnlyNpyNamesAreAccepted(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => EmbeddingFiles.For(Path.Combine(_folder, name)));
        Assert.Contains(name, error.Message);
        Assert.Contains(".npy only", error.Message);
    }
}
