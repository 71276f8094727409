using Xbm.Configuration;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

public class DatasetReaderFactoryTests
{
    private static ConfigSection Data(params (string Key, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => v.Value), "test.yaml", "data");

    [Fact]
    public void LoadsCubIntoSplitsWithTheCubProtocol()
    {
        var splits = DatasetReaderFactory.Load(Data(("dataset", "cub"), ("root", DatasetFixtures.Path("cub")), ("image_size", "16"), ("resize", "20"), ("workers", "2")), _ => { });
        Assert.Equal("cub", splits.Name);
        Assert.Equal(8, splits.Train.Count);
        Assert.Null(splits.Validation);
        var test = Assert.Single(splits.Test);
        Assert.Equal(8, test.Queries.Count);
        Assert.Equal([1, 2, 4, 8], test.RecallAt);
        using var batch = splits.Train.Load([0, 1, 2], augment: true, seed: 3);
        Assert.Equal([3L, 3, 16, 16], batch.shape);
    }

    [Fact]
    public void InShopHasQueryGalleryAndVehicleIdThreeSets()
    {
        var inshop = DatasetReaderFactory.Load(Data(("dataset", "inshop"), ("root", DatasetFixtures.Path("inshop"))), _ => { });
        var protocol = Assert.Single(inshop.Test);
        Assert.Equal(5, protocol.Queries.Count);
        Assert.Equal(5, protocol.Gallery!.Count);
        Assert.Equal([1, 10, 20, 30, 40, 50], protocol.RecallAt);

        var vehicles = DatasetReaderFactory.Load(Data(("dataset", "vehicleid"), ("root", DatasetFixtures.Path("vehicleid"))), _ => { });
        Assert.Equal(["small", "medium", "large"], vehicles.Test.Select(t => t.Name));
        Assert.Equal([5, 9, 14], vehicles.Test.Select(t => t.Queries.Count));
    }

    [Fact]
    public void ValidationFractionHoldsOutTheLastTrainingClasses()
    {
        var splits = DatasetReaderFactory.Load(Data(("dataset", "sop"), ("root", DatasetFixtures.Path("sop")), ("validation_fraction", "0.25")), _ => { });
        Assert.NotNull(splits.Validation);
        Assert.All(splits.Validation!.Queries.Labels, l => Assert.Equal(4, l));
        Assert.DoesNotContain(4L, splits.Train.Labels);
        Assert.Equal([1, 10, 100, 1000], splits.Validation.RecallAt);
    }

    [Fact]
    public void UnknownKeysAndBadValuesNameTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => DatasetReaderFactory.Load(Data(("dataset", "cub"), ("root", DatasetFixtures.Path("cub")), ("imagesize", "3")), _ => { }));
        Assert.Equal("test.yaml: data.imagesize: unknown key (did you mean image_size?)", e.Message);
        e = Assert.Throws<ConfigException>(() => DatasetReaderFactory.Load(Data(("dataset", "imagenet"), ("root", "x")), _ => { }));
        Assert.Contains("data.dataset", e.Message);
        e = Assert.Throws<ConfigException>(() => DatasetReaderFactory.Load(Data(("dataset", "cub"), ("root", DatasetFixtures.Path("cub")), ("mean", "1,2")), _ => { }));
        Assert.Contains("data.mean: needs three", e.Message);
        e = Assert.Throws<ConfigException>(() => DatasetReaderFactory.Load(Data(("dataset", "cub"), ("root", DatasetFixtures.Path("cub")),
            ("augmentation", new Dictionary<string, object?> { ["scale_min"] = "0.9", ["scale_max"] = "0.5" })), _ => { }));
        Assert.Contains("crop scale", e.Message);
    }

    [Fact]
    public void TransformPresetsAndOverrides()
    {
        var bn = DatasetReaderFactory.ReadTransform(Data(("normalization", "bn_inception")));
        Assert.Equal(ChannelOrder.Bgr, bn.ChannelOrder);
        Assert.Equal(227, bn.CropSize);
        Assert.Equal([104.0, 117, 128], bn.Mean);
        var custom = DatasetReaderFactory.ReadTransform(Data(("mean", "0.5, 0.5, 0.5"), ("std", "[0.25,0.25,0.25]"),
            ("augmentation", new Dictionary<string, object?> { ["scale_min"] = "0.16", ["flip"] = "0" })));
        Assert.Equal([0.5, 0.5, 0.5], custom.Mean);
        Assert.Equal([0.25, 0.25, 0.25], custom.Std);
        Assert.Equal(0.16, custom.ScaleMin);
        Assert.Equal(0, custom.FlipProbability);
        Assert.Equal(224, custom.CropSize);
    }

    [Fact]
    public void MissingImagesFailTheLoadOrAreSkippedAsConfigured()
    {
        string root = DatasetFixtures.Path("cub_missing_file");
        var e = Assert.Throws<InvalidDataException>(() => DatasetReaderFactory.Load(Data(("dataset", "cub"), ("root", root)), _ => { }));
        Assert.Contains($"{Path.Combine(root, "images.txt")}:4: image not found", e.Message);

        var log = new List<string>();
        var splits = DatasetReaderFactory.Load(Data(("dataset", "cub"), ("root", root), ("on_bad_image", "skip"), ("image_size", "8"), ("resize", "10")), log.Add);
        Assert.Contains(log, l => l.Contains("1 image(s) missing"));
        using var all = splits.Train.Load(Enumerable.Range(0, splits.Train.Count).ToList(), augment: false, seed: 0);
        Assert.Equal(splits.Train.Count, (int)all.shape[0]);
    }

    [Fact]
    public void EveryNamedReaderExistsAndDescribesItself()
    {
        Assert.Equal(DatasetReaderFactory.Names, DatasetReaderFactory.All.Select(r => r.Name));
        Assert.All(DatasetReaderFactory.All, r => Assert.False(string.IsNullOrWhiteSpace(r.Description + r.Layout)));
        Assert.Throws<ArgumentException>(() => DatasetReaderFactory.Create("mnist"));
    }
}
