using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class InShopReaderTests
{
    [Fact]
    public void ReadsTrainQueryGalleryAndDropsLoneTrainingItems()
    {
        var manifest = new InShopReader().Read(DatasetFixtures.Path("inshop"));
        var expected = DatasetFixtures.Expected("inshop");
        DatasetFixtures.AssertCounts(manifest, expected.GetProperty("counts"), "train_keep_single");
        Assert.DoesNotContain(manifest.Entries, e => e.Label == 4);
        Assert.Contains(manifest.Notes, n => n.Contains("dropped 1 training item"));
        var protocol = Assert.Single(manifest.Protocols);
        Assert.Equal(new ManifestPart(DatasetSplit.Query), protocol.Queries);
        Assert.Equal(new ManifestPart(DatasetSplit.Gallery), protocol.Gallery);
        Assert.Equal([1, 10, 20, 30, 40, 50], protocol.RecallAt);
    }

    [Fact]
    public void KeepsLoneTrainingItemsWhenAsked()
    {
        var manifest = new InShopReader(minTrainImagesPerItem: 1).Read(DatasetFixtures.Path("inshop"));
        var expected = DatasetFixtures.Expected("inshop");
        DatasetFixtures.AssertEntries(manifest, expected.GetProperty("entries"));
        var train = manifest.EntriesOf(new ManifestPart(DatasetSplit.Train));
        var keep = expected.GetProperty("counts").GetProperty("train_keep_single");
        Assert.Equal(keep[0].GetInt32(), train.Count);
        Assert.Empty(manifest.Notes);
    }

    [Fact]
    public void UnknownStatusNamesFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => new InShopReader().Read(DatasetFixtures.Path("inshop_bad_status")));
        DatasetFixtures.AssertNamesLine(e, DatasetFixtures.Path("inshop_bad_status", "Eval", "list_eval_partition.txt"), 6);
        Assert.Contains("'tarin'", e.Message);
    }

    [Fact]
    public void WrongCountLineIsAnErrorAtLineOne()
    {
        var e = Assert.Throws<InvalidDataException>(() => new InShopReader().Read(DatasetFixtures.Path("inshop_bad_count")));
        DatasetFixtures.AssertNamesLine(e, DatasetFixtures.Path("inshop_bad_count", "Eval", "list_eval_partition.txt"), 1);
    }
}
