using Xbm.Configuration;
using Xbm.Data.Images;
using Xbm.Data.Manifest;
using Xbm.Tests.Data.Images;

namespace Xbm.Tests.Data.Readers;

/// <summary>
/// Issue 12 (A4, B): before training, every image of the run gets a header check, and every bad file is named
/// in one error; what the folder reader and the evaluation skip is said in a warning line.
/// </summary>
public sealed class ImageCheckTests : IDisposable
{
    private readonly string _root = ImageFixtures.TempFolder("image-check");

    /// <summary>The dataset's root folder.</summary>
    public string Root => _root;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>root/{train,test}/&lt;class&gt;/i.png: two training and two test classes of three small PNGs each.</summary>
    internal void WriteDataset(int perClass = 3)
    {
        foreach (var (split, classes) in new[] { ("train", new[] { "ant", "bee" }), ("test", new[] { "cat", "dog" }) })
            foreach (string name in classes)
                for (int i = 0; i < perClass; i++)
                    WritePng(Path.Combine(split, name, $"{i}.png"), 8 + i);
    }

    private string WritePng(string relative, int size)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ImageDecoder.EncodePng(ImageFixtures.Synthetic(size, size)));
        return path;
    }

    /// <summary>A PNG cut in half (its header is intact) and a text file named .png.</summary>
    internal (string Truncated, string Text) WriteBadImages()
    {
        string truncated = WritePng(Path.Combine("train", "ant", "cut.png"), 24);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        string text = Path.Combine(_root, "test", "cat", "notes.png");
        File.WriteAllText(text, "these are not pixels\n");
        return (truncated, text);
    }

    internal ConfigSection Data(params (string Key, object? Value)[] extra) =>
        new(new (string, object?)[] { ("dataset", "folder"), ("root", _root), ("image_size", "8"), ("resize", "8"), ("workers", "2") }
            .Concat(extra).ToDictionary(v => v.Item1, v => v.Item2), "test.yaml", "data");

    [Fact]
    public void HeaderCheckFindsATruncatedPngAndATextFileBeforeTraining()
    {
        WriteDataset();
        var (truncated, text) = WriteBadImages();
        Assert.Null(ImageHeader.Problem(Path.Combine(_root, "train", "bee", "0.png")));
        Assert.NotNull(ImageHeader.Problem(truncated));
        Assert.NotNull(ImageHeader.Problem(text));

        var e = Assert.Throws<InvalidDataException>(() => DatasetReaderFactory.Load(Data(), _ => { }));
        Assert.Contains("2 error(s)", e.Message);
        Assert.Contains(truncated, e.Message);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void ManyBadImagesAreAllCountedAndTheFirstTwentyNamed()
    {
        WriteDataset();
        for (int i = 0; i < 25; i++)
            File.WriteAllText(Path.Combine(_root, "train", "bee", $"bad{i:D2}.png"), "not an image");
        var e = Assert.Throws<InvalidDataException>(() => DatasetReaderFactory.Load(Data(), _ => { }));
        Assert.Contains("25 error(s)", e.Message);
        Assert.Contains("bad19.png", e.Message);
        Assert.DoesNotContain("bad20.png", e.Message);
        Assert.Contains("and 5 more", e.Message);
    }

    [Fact]
    public void SkippingBadImagesWarnsWithTheirCount()
    {
        WriteDataset();
        WriteBadImages();
        var log = new List<string>();
        var splits = DatasetReaderFactory.Load(Data(("on_bad_image", "skip")), log.Add);
        Assert.Equal(7, splits.Train.Count);
        Assert.Contains(log, l => l.StartsWith("warning: folder: 2 image(s) unreadable", StringComparison.Ordinal));
    }

    [Fact]
    public void EmptyClassFoldersAndNonImageFilesAreWarnedAbout()
    {
        WriteDataset();
        Directory.CreateDirectory(Path.Combine(_root, "train", "empty"));
        File.WriteAllText(Path.Combine(_root, "train", "ant", "labels.txt"), "ant");
        File.WriteAllText(Path.Combine(_root, "test", "dog", "README"), "dog");
        var log = new List<string>();
        DatasetReaderFactory.Load(Data(), log.Add);
        var empty = Assert.Single(log, l => l.Contains("class folder(s) without images", StringComparison.Ordinal));
        Assert.Equal($"warning: folder: 1 class folder(s) without images skipped (no class made for them), e.g. {Path.Combine(_root, "train", "empty")}", empty);
        var other = Assert.Single(log, l => l.Contains("non-image file(s) skipped", StringComparison.Ordinal));
        Assert.StartsWith("warning: folder: 2 non-image file(s) skipped", other);
        Assert.EndsWith($"e.g. {Path.Combine(_root, "test", "dog", "README")}", other);
    }

    [Fact]
    public void QueriesOfSingleImageClassesAreReportedAsLeftOut()
    {
        WriteDataset();
        string lone = WritePng(Path.Combine("test", "eel", "0.png"), 9);
        WritePng(Path.Combine("test", "fox", "0.png"), 10);
        var log = new List<string>();
        var splits = DatasetReaderFactory.Load(Data(), log.Add);
        Assert.Equal(8, splits.Test[0].Queries.Count);
        var warning = Assert.Single(log, l => l.Contains("left out", StringComparison.Ordinal));
        Assert.Equal($"warning: folder: test: 2 of 8 queries are left out of every metric (their class has no other image in the split), e.g. {lone}", warning);
    }
}

/// <summary>`xbm datasets check` reads every header by default (no --decode needed to find a broken file).</summary>
[Collection("console")]
public sealed class DatasetsCheckHeaderTests : IDisposable
{
    private readonly ImageCheckTests _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void DatasetsCheckReadsHeadersWithoutDecode()
    {
        _data.WriteDataset();
        var (truncated, text) = _data.WriteBadImages();
        var (code, output) = Xbm.Tests.Cli.CliRunner.Run("datasets", "check", "--dataset", "folder", "--root", _data.Root);
        Assert.True(code == 1, output);
        Assert.Contains("unreadable-image", output);
        Assert.Contains(truncated, output);
        Assert.Contains(text, output);
    }
}
