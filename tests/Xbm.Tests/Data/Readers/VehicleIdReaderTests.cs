using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class VehicleIdReaderTests
{
    [Fact]
    public void ReadsTrainAndTheThreeTestListsAsSubsets()
    {
        var manifest = new VehicleIdReader().Read(DatasetFixtures.Path("vehicleid"));
        var expected = DatasetFixtures.Expected("vehicleid");
        DatasetFixtures.AssertCounts(manifest, expected.GetProperty("counts"));
        DatasetFixtures.AssertEntries(manifest, expected.GetProperty("entries"));
        Assert.Equal(["small", "medium", "large"], manifest.Protocols.Select(p => p.Name));
        Assert.All(manifest.Protocols, p =>
        {
            Assert.Null(p.Gallery);
            Assert.Equal([1, 5], p.RecallAt);
        });
        Assert.All(manifest.Entries, e => Assert.EndsWith(".jpg", e.Path));
    }

    [Fact]
    public void ReidProtocolPutsOneImagePerVehicleInTheGalleryReproducibly()
    {
        var a = new VehicleIdReader(VehicleIdProtocol.Reid, repeats: 3, seed: 7).Read(DatasetFixtures.Path("vehicleid"));
        var b = new VehicleIdReader(VehicleIdProtocol.Reid, repeats: 3, seed: 7).Read(DatasetFixtures.Path("vehicleid"));
        Assert.Equal(a.Entries, b.Entries);
        Assert.Equal(9, a.Protocols.Count);
        foreach (var protocol in a.Protocols)
        {
            var gallery = a.EntriesOf(protocol.Gallery!);
            var queries = a.EntriesOf(protocol.Queries);
            Assert.Equal(gallery.Select(e => e.Label).Distinct().Count(), gallery.Count); // one image per vehicle
            Assert.Empty(queries.Select(e => e.Path).Intersect(gallery.Select(e => e.Path)));
        }
        var small = a.EntriesOf(new ManifestPart(DatasetSplit.Query, "small-1")).Count + a.EntriesOf(new ManifestPart(DatasetSplit.Gallery, "small-1")).Count;
        Assert.Equal(5, small);
    }

    [Fact]
    public void NonNumericVehicleIdNamesFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => new VehicleIdReader().Read(DatasetFixtures.Path("vehicleid_bad_line")));
        DatasetFixtures.AssertNamesLine(e, DatasetFixtures.Path("vehicleid_bad_line", "train_test_split", "test_list_1600.txt"), 3);
    }

    [Fact]
    public void AbsentTestListsAreNotedNotRequired()
    {
        string copy = DatasetFixtures.CopyToTemp("vehicleid");
        File.Delete(Path.Combine(copy, "train_test_split", "test_list_2400.txt"));
        var manifest = new VehicleIdReader().Read(copy);
        Assert.Equal(["small", "medium"], manifest.Protocols.Select(p => p.Name));
        Assert.Contains(manifest.Notes, n => n.Contains("test_list_2400.txt"));
    }
}
