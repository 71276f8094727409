using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class ManifestValidatorTests
{
    private static ManifestEntry Entry(string path, long label, DatasetSplit split, int line) =>
        new(DatasetFixtures.Path("folder_flat", path), label, split, new SourceLocation("list.txt", line));

    private static DatasetManifest Manifest(params ManifestEntry[] entries) =>
        new("toy", DatasetFixtures.Path("folder_flat"), entries,
            [new ManifestPart(DatasetSplit.Train), new ManifestPart(DatasetSplit.Test)],
            [new RetrievalProtocol("test", new ManifestPart(DatasetSplit.Test), null, [1])])
        { LabelRange = (0, 3) };

    [Fact]
    public void CleanManifestHasNoProblems()
    {
        var report = ManifestValidator.Validate(Manifest(
            Entry("c1/0.png", 0, DatasetSplit.Train, 1), Entry("c1/1.png", 0, DatasetSplit.Train, 2),
            Entry("c3/0.png", 2, DatasetSplit.Test, 3)), new ManifestValidationOptions { DecodeImages = true });
        Assert.Empty(report.Problems);
        Assert.Equal([2, 1], report.Counts.Select(c => c.Images));
    }

    [Fact]
    public void DuplicateLabelRangeEmptyPartAndMissingFileAreErrorsNamingTheLine()
    {
        var report = ManifestValidator.Validate(Manifest(
            Entry("c1/0.png", 0, DatasetSplit.Train, 1),
            Entry("c1/0.png", 0, DatasetSplit.Train, 2),
            Entry("c2/0.png", 7, DatasetSplit.Train, 3),
            Entry("c9/none.png", 1, DatasetSplit.Train, 4)));
        Assert.True(report.HasErrors);
        var byKind = report.Errors.ToDictionary(p => p.Kind);
        Assert.Equal(new SourceLocation("list.txt", 2), byKind["duplicate-path"].Location);
        Assert.Contains("first at list.txt:1", byKind["duplicate-path"].Message);
        Assert.Equal("list.txt:3: label 7 is out of range [0, 3]", byKind["label-range"].ToString());
        Assert.Contains("test part is empty", byKind["empty-part"].Message);
        Assert.Equal(new SourceLocation("list.txt", 4), byKind["missing-file"].Location);
        var thrown = Assert.Throws<InvalidDataException>(() => report.ThrowIfErrors());
        Assert.Contains("list.txt:3: label 7", thrown.Message);
    }

    [Fact]
    public void SharedClassesBetweenTrainAndTestAreAWarning()
    {
        var report = ManifestValidator.Validate(Manifest(
            Entry("c1/0.png", 0, DatasetSplit.Train, 1), Entry("c1/1.png", 0, DatasetSplit.Test, 2)));
        Assert.False(report.HasErrors);
        Assert.Equal("class-overlap", Assert.Single(report.Warnings).Kind);
    }

    [Fact]
    public void DecodeFindsUnreadableImages()
    {
        var manifest = new CsvReader().Read(DatasetFixtures.Path("corrupt"));
        var existence = ManifestValidator.Validate(manifest, new ManifestValidationOptions { CheckHeaders = false });
        Assert.Equal(2, existence.Errors.Count(p => p.Kind == "missing-file"));
        Assert.DoesNotContain(existence.Errors, p => p.Kind == "unreadable-image");

        // The default header check (no pixel decode) finds the same files as a full decode.
        var headers = ManifestValidator.Validate(manifest);
        Assert.Equal([3, 7, 10], headers.Errors.Where(p => p.Kind == "unreadable-image").Select(p => p.Location!.Line).Order().ToList());

        var full = ManifestValidator.Validate(manifest, new ManifestValidationOptions { DecodeImages = true });
        var unreadable = full.Errors.Where(p => p.Kind == "unreadable-image").Select(p => p.Location!.Line).Order().ToList();
        Assert.Equal([3, 7, 10], unreadable); // garbage bytes, truncated JPEG, empty file (manifest.csv lines)
    }
}
