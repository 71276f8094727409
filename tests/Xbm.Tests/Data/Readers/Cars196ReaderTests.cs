using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class Cars196ReaderTests
{
    [Theory]
    [InlineData("cars196")]              // scipy savemat, do_compression=True (miCOMPRESSED elements)
    [InlineData("cars196_uncompressed")] // scipy savemat, plain miMATRIX elements
    public void ReadsAnnotationsFromCarsAnnosMat(string layout)
    {
        var manifest = new Cars196Reader().Read(DatasetFixtures.Path(layout));
        var expected = DatasetFixtures.Expected(layout);
        DatasetFixtures.AssertCounts(manifest, expected.GetProperty("counts"));
        DatasetFixtures.AssertEntries(manifest, expected.GetProperty("entries"));
        Assert.Equal((1L, 6L), manifest.LabelRange);
        var names = expected.GetProperty("class_names").EnumerateArray().Select(n => n.GetString()).ToList();
        Assert.Equal(names, Enumerable.Range(1, 6).Select(i => manifest.ClassNames![i]));
        Assert.Equal([1, 2, 4, 8], Assert.Single(manifest.Protocols).RecallAt);
    }

    [Fact]
    public void ClassOutOfRangeNamesTheAnnotation()
    {
        var e = Assert.Throws<InvalidDataException>(() => new Cars196Reader().Read(DatasetFixtures.Path("cars196_bad_class")));
        Assert.Contains($"{DatasetFixtures.Path("cars196_bad_class", "cars_annos.mat")}: annotations(5): class 250 is out of range [1, 6]", e.Message);
    }
}
