using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class FolderReaderTests
{
    [Fact]
    public void ReadsSplitFoldersWithLabelsFromSortedClassNames()
    {
        var manifest = new FolderReader().Read(DatasetFixtures.Path("folder"));
        var expected = DatasetFixtures.Expected("folder");
        DatasetFixtures.AssertCounts(manifest, expected.GetProperty("counts"));
        DatasetFixtures.AssertEntries(manifest, expected.GetProperty("entries"));
        Assert.DoesNotContain(manifest.Entries, e => e.Path.EndsWith(".txt"));
        Assert.Equal("eel", manifest.ClassNames![4]);
    }

    [Fact]
    public void FlatTreeSplitsTheClassesInHalves()
    {
        var manifest = new FolderReader().Read(DatasetFixtures.Path("folder_flat"));
        DatasetFixtures.AssertCounts(manifest, DatasetFixtures.Expected("folder_flat").GetProperty("counts"));
        Assert.All(manifest.Entries, e => Assert.Equal(e.Label < 2 ? DatasetSplit.Train : DatasetSplit.Test, e.Split));
    }
}
