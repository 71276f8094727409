using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class CubReaderTests
{
    [Fact]
    public void ReadsCountsLabelsAndBoxesJoiningOnImageIdNotLineOrder()
    {
        // image_class_labels.txt and bounding_boxes.txt are shuffled in the fixture, differently.
        var manifest = new CubReader().Read(DatasetFixtures.Path("cub"));
        var expected = DatasetFixtures.Expected("cub");
        DatasetFixtures.AssertCounts(manifest, expected.GetProperty("counts"));
        DatasetFixtures.AssertEntries(manifest, expected.GetProperty("entries"));
        Assert.Equal((1L, 6L), manifest.LabelRange);
        Assert.Equal("001.Black_footed_Albatross", manifest.ClassNames![1]);
        var protocol = Assert.Single(manifest.Protocols);
        Assert.Null(protocol.Gallery);
        Assert.Equal([1, 2, 4, 8], protocol.RecallAt);
    }

    [Fact]
    public void ClassFolderOfEveryPathAgreesWithItsLabel()
    {
        var manifest = new CubReader().Read(DatasetFixtures.Path("cub"));
        foreach (var entry in manifest.Entries)
        {
            string folder = Path.GetFileName(Path.GetDirectoryName(entry.Path)!);
            Assert.Equal(entry.Label, long.Parse(folder[..3]));
            Assert.Equal(entry.Label <= 3 ? DatasetSplit.Train : DatasetSplit.Test, entry.Split);
        }
    }

    [Fact]
    public void ReversingImagesTxtChangesNothingAndTheParentFolderIsAccepted()
    {
        string copy = DatasetFixtures.CopyToTemp("cub");
        string parent = Path.Combine(Path.GetTempPath(), "xbm-tests", $"cub-parent-{Guid.NewGuid():N}");
        Directory.CreateDirectory(parent);
        Directory.Move(copy, Path.Combine(parent, "CUB_200_2011"));
        string images = Path.Combine(parent, "CUB_200_2011", "images.txt");
        File.WriteAllLines(images, File.ReadAllLines(images).Reverse());

        var original = new CubReader().Read(DatasetFixtures.Path("cub"));
        var reversed = new CubReader().Read(parent);
        static string Key(ManifestEntry e, string root) => $"{Path.GetRelativePath(root, e.Path)} {e.Label} {e.Split} {e.Box}";
        Assert.Equal(original.Entries.Select(e => Key(e, original.Root)), reversed.Entries.Select(e => Key(e, reversed.Root)));
    }

    [Fact]
    public void MalformedLineNamesFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => new CubReader().Read(DatasetFixtures.Path("cub_bad_line")));
        DatasetFixtures.AssertNamesLine(e, DatasetFixtures.Path("cub_bad_line", "image_class_labels.txt"), 5);
        Assert.Contains("expected 2 fields", e.Message);
    }

    [Fact]
    public void UnknownClassIdNamesFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => new CubReader().Read(DatasetFixtures.Path("cub_bad_label")));
        DatasetFixtures.AssertNamesLine(e, DatasetFixtures.Path("cub_bad_label", "image_class_labels.txt"), 7);
        Assert.Contains("class id 999", e.Message);
    }

    [Fact]
    public void MissingImageIsAnErrorAtItsImagesTxtLine()
    {
        var manifest = new CubReader().Read(DatasetFixtures.Path("cub_missing_file"));
        var report = ManifestValidator.Validate(manifest);
        var problem = Assert.Single(report.Errors);
        Assert.Equal("missing-file", problem.Kind);
        Assert.Equal(new SourceLocation(DatasetFixtures.Path("cub_missing_file", "images.txt"), 4), problem.Location);
        Assert.StartsWith($"{DatasetFixtures.Path("cub_missing_file", "images.txt")}:4: image not found", problem.ToString());
    }

    [Fact]
    public void MissingListFileIsNamed()
    {
        string copy = DatasetFixtures.CopyToTemp("cub");
        File.Delete(Path.Combine(copy, "classes.txt"));
        var e = Assert.Throws<FileNotFoundException>(() => new CubReader().Read(copy));
        Assert.Contains(Path.Combine(copy, "classes.txt"), e.Message);
    }

    [Fact]
    public void ImageWithoutClassNamesItsImagesTxtLine()
    {
        string copy = DatasetFixtures.CopyToTemp("cub");
        string labels = Path.Combine(copy, "image_class_labels.txt");
        var lines = File.ReadAllLines(labels).ToList();
        string removed = lines.Single(l => l.StartsWith("9 ", StringComparison.Ordinal));
        lines.Remove(removed);
        File.WriteAllLines(labels, lines);
        var e = Assert.Throws<InvalidDataException>(() => new CubReader().Read(copy));
        DatasetFixtures.AssertNamesLine(e, Path.Combine(copy, "images.txt"), 9);
    }
}
