using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class SopReaderTests
{
    [Fact]
    public void ReadsTrainAndTestListsWithSuperClasses()
    {
        var manifest = new SopReader().Read(DatasetFixtures.Path("sop"));
        var expected = DatasetFixtures.Expected("sop");
        DatasetFixtures.AssertCounts(manifest, expected.GetProperty("counts"));
        DatasetFixtures.AssertEntries(manifest, expected.GetProperty("entries"));
        Assert.Equal([1, 10, 100, 1000], Assert.Single(manifest.Protocols).RecallAt);
        Assert.All(manifest.Entries, e => Assert.NotNull(e.SuperClass));
    }

    [Fact]
    public void RowWithMissingFieldNamesFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => new SopReader().Read(DatasetFixtures.Path("sop_bad_line")));
        DatasetFixtures.AssertNamesLine(e, DatasetFixtures.Path("sop_bad_line", "Ebay_train.txt"), 4);
        Assert.Contains("expected 4 fields", e.Message);
    }

    [Fact]
    public void WrongHeaderIsRejected()
    {
        string copy = DatasetFixtures.CopyToTemp("sop");
        string test = Path.Combine(copy, "Ebay_test.txt");
        var lines = File.ReadAllLines(test);
        lines[0] = "image_id class path";
        File.WriteAllLines(test, lines);
        var e = Assert.Throws<InvalidDataException>(() => new SopReader().Read(copy));
        DatasetFixtures.AssertNamesLine(e, test, 1);
    }
}
