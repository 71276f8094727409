using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class CsvReaderTests
{
    [Fact]
    public void ReadsHeaderQuotedPathsNamedLabelsAndQueryGallerySplits()
    {
        var manifest = new CsvReader().Read(DatasetFixtures.Path("csv"));
        var expected = DatasetFixtures.Expected("csv");
        DatasetFixtures.AssertCounts(manifest, expected.GetProperty("counts"));
        DatasetFixtures.AssertEntries(manifest, expected.GetProperty("entries"));
        Assert.Equal("query-gallery", Assert.Single(manifest.Protocols).Name);
    }

    [Fact]
    public void PlainCsvWithoutSplitSplitsTheLabelsInHalves()
    {
        string file = DatasetFixtures.Path("csv_plain", "list.csv");
        var manifest = new CsvReader().Read(file);
        Assert.Equal(8, manifest.Entries.Count);
        Assert.All(manifest.Entries, e => Assert.Equal(e.Label <= 5 ? DatasetSplit.Train : DatasetSplit.Test, e.Split));
        Assert.Equal(new SourceLocation(file, 3), manifest.Entries[2].Source);
        Assert.False(ManifestValidator.Validate(manifest).HasErrors);
    }

    [Fact]
    public void UnknownSplitNamesFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => new CsvReader().Read(DatasetFixtures.Path("csv_bad_split")));
        DatasetFixtures.AssertNamesLine(e, DatasetFixtures.Path("csv_bad_split", "manifest.csv"), 3);
        Assert.Contains("'tset'", e.Message);
    }

    [Theory]
    [InlineData("a.jpg,1,train,extra", "expected 3 fields")]
    [InlineData("\"a.jpg,1,train", "unterminated quote")]
    [InlineData("a.jpg,,train", "empty label")]
    public void MalformedRowsNameTheLine(string row, string message)
    {
        string folder = Path.Combine(Path.GetTempPath(), "xbm-tests", $"csv-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, "manifest.csv");
        File.WriteAllLines(file, ["path,label,split", "b.jpg,2,train", row]);
        var e = Assert.Throws<InvalidDataException>(() => new CsvReader().Read(folder));
        DatasetFixtures.AssertNamesLine(e, file, 3);
        Assert.Contains(message, e.Message);
    }
}
