using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Tests.Data;

namespace Xbm.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class DatasetsExportCommandTests(TinyRuns runs)
{
    [Fact]
    public void ListShowsFashionMnist()
    {
        string output = CliRunner.Succeeds("datasets", "list");
        Assert.Contains("fashion_mnist", output);
        Assert.Contains("folder", output);
    }

    [Fact]
    public void ExportWritesAFolderPerClassOfPngsThatTheFolderReaderReads()
    {
        string output = Path.Combine(runs.Scratch("export"), "fashion");
        string printed = CliRunner.Succeeds("datasets", "export", "fashion_mnist", "--root", FashionFixture.Root, "--out", output, "--split", "test", "--max-per-class", "3");
        Assert.Contains("wrote 15 PNG images in 5 class folders", printed);
        Assert.Equal(["Ankle boot", "Bag", "Sandal", "Shirt", "Sneaker"], Directory.GetDirectories(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(Directory.GetDirectories(output), d => Assert.Equal(3, Directory.GetFiles(d, "*.png").Length));

        // The first Sandal (class 5) of the files, pixel for pixel.
        var data = FashionMnist.Read(FashionFixture.Root);
        int first = Array.IndexOf(data.Labels, 5L);
        string png = Path.Combine(output, "Sandal", $"{first:D5}.png");
        var image = ImageDecoder.Decode(png);
        Assert.Equal((28, 28), (image.Width, image.Height));
        for (int p = 0; p < 28 * 28; p++)
            Assert.Equal(data.Images[first * 28 * 28 + p], image.Pixels[3 * p]);

        var manifest = new Xbm.Data.Manifest.FolderReader().Read(output);
        Assert.Equal(15, manifest.Entries.Count);
        Assert.Equal("Sandal", manifest.ClassNames![2]);

        // A Fashion-MNIST run embeds the exported files (28×28 grey PNGs) with its test-time preprocessing.
        string index = Path.Combine(runs.Scratch("export-embed"), "vectors.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--images", output, "--out", index);
        var files = Xbm.Reporting.EmbeddingFiles.For(index);
        var (vectors, labels, _) = files.Read();
        vectors.Dispose();
        Assert.Equal(Enumerable.Range(0, 5).SelectMany(c => Enumerable.Repeat((long)c, 3)), labels);
        Assert.Equal("Sandal", files.ReadInfo()!.ClassNames![2]);

        // "T-shirt/top" becomes a folder-safe name; an existing non-empty folder is refused.
        string all = Path.Combine(runs.Scratch("export-all"), "all");
        CliRunner.Succeeds("datasets", "export", "fashion_mnist", "--root", FashionFixture.Root, "--out", all, "--max-per-class", "1");
        Assert.True(Directory.Exists(Path.Combine(all, "T-shirt_top")));
        Assert.Equal(10, Directory.GetDirectories(all).Length);
        Assert.Contains("not empty", CliRunner.FailsWithUserError("datasets", "export", "fashion_mnist", "--root", FashionFixture.Root, "--out", all));
    }
}
