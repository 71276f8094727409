using Xbm.Configuration;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

public sealed class ModelFactoryTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("xbm-factory-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static ConfigSection Model(params (string Key, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => v.Value), "test.yaml", "model");

    [Fact]
    public void DefaultIsTheSmallCnnWith64Dimensions()
    {
        using var model = ModelFactory.Create(Model(), inputChannels: 1);
        Assert.IsType<SmallCnn>(model.Backbone);
        Assert.Equal(64, model.Dimension);
        using var noGrad = no_grad();
        model.eval();
        var embeddings = model.forward(rand(3, 1, 28, 28));
        Assert.Equal(new long[] { 3, 64 }, embeddings.shape);
        Assert.True(embeddings.norm(1).sub(Scalars.One).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void BlocksChangeTheResNetStagesAndAreCheckedAgainstTheBackbone()
    {
        using var model = ModelFactory.Create(Model(("backbone", "resnet18"), ("blocks", "2, 2, 2, 3")), inputChannels: 3);
        var backbone = Assert.IsType<ResNet>(model.Backbone);
        Assert.Equal([2, 2, 2, 3], backbone.Blocks);
        Assert.Contains("layer4.2.conv2.weight", backbone.state_dict().Keys);
        Assert.DoesNotContain("layer4.3.conv1.weight", backbone.state_dict().Keys);
        var e = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "resnet18"), ("blocks", "2, 2, 2")), inputChannels: 3));
        Assert.Equal("test.yaml: model.blocks: needs four counts (layer1–layer4), got 3", e.Message);
        e = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "googlenet"), ("blocks", "2, 2, 2, 3")), inputChannels: 3));
        Assert.Contains("model.blocks: applies to resnet18, resnet34 and resnet50, not to googlenet", e.Message);
        e = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "resnet18"), ("blocks", "2, 0, 2, 2")), inputChannels: 3));
        Assert.Contains("model.blocks: 0 is below the minimum 1", e.Message);
    }

    [Fact]
    public void ReadsEveryBackboneOption()
    {
        using var model = ModelFactory.Create(Model(("backbone", "resnet18"), ("dimension", "32"), ("pooling", "avg+max"),
            ("freeze_bn", "true"), ("freeze_bn_affine", "true"), ("frozen_stages", "2")), inputChannels: 3);
        var backbone = Assert.IsType<ResNet>(model.Backbone);
        Assert.Equal(18, backbone.Depth);
        Assert.Equal(32, model.Dimension);
        Assert.Equal(GlobalPoolingKind.AverageMax, backbone.Pooling);
        Assert.True(backbone.BatchNormStatisticsFrozen);
        Assert.True(backbone.BatchNormAffineFrozen);
        Assert.Equal(2, backbone.FrozenStages);
    }

    [Theory]
    [InlineData("resnet34", 128, 512)]
    [InlineData("resnet50", 128, 2048)]
    [InlineData("googlenet", 512, 1024)]
    [InlineData("bn_inception", 512, 1024)]
    public void DefaultDimensionsFollowThePaper(string backbone, long dimension, long features)
    {
        using var model = ModelFactory.Create(Model(("backbone", backbone)));
        Assert.Equal(dimension, model.Dimension);
        Assert.Equal(features, model.Backbone.FeatureDimension);
    }

    [Fact]
    public void UnknownKeyIsAnErrorNamingFileAndKey()
    {
        var e = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "resnet18"), ("width", "8"))));
        Assert.Equal("test.yaml: model.width: unknown key", e.Message);
    }

    [Fact]
    public void UnknownBackboneListsTheChoices()
    {
        var e = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "vgg16"))));
        Assert.Contains("model.backbone: 'vgg16' is not one of: small_cnn, resnet18", e.Message);
    }

    [Fact]
    public void ImageNetBackbonesNeedThreeChannels()
    {
        var e = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "resnet18")), inputChannels: 1));
        Assert.Contains("model.backbone: resnet18 takes 3-channel RGB images but the dataset has 1 channel(s)", e.Message);
    }

    [Fact]
    public void MissingWeightsFileIsAnError()
    {
        string path = Path.Combine(dir, "nope.safetensors");
        var e = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("weights", path)), 1));
        Assert.Equal($"test.yaml: model.weights: file not found: {path}", e.Message);
    }

    [Fact]
    public void LoadsWeightsIntoTheBackboneAndReportsThem()
    {
        manual_seed(11);
        using var source = new SmallCnn(1, 8);
        var state = source.state_dict().ToDictionary(p => p.Key, p => p.Value);
        state["fc.weight"] = ones(2, 2); // a classifier head the small CNN does not have: unexpected
        string path = Path.Combine(dir, "small.safetensors");
        Xbm.IO.SafeTensors.Save(path, state);

        var strictError = Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("width", "8"), ("weights", path)), 1));
        Assert.StartsWith($"test.yaml: model.weights: {path}: cannot load weights", strictError.Message);
        Assert.Contains("unexpected in the file (not in the model): fc.weight", strictError.Message);

        LoadReport? report = null;
        using var model = ModelFactory.Create(Model(("width", "8"), ("weights", path), ("strict", "false")), 1, r => report = r);
        Assert.NotNull(report);
        Assert.Equal(["fc.weight"], report.Unexpected);
        Assert.True(model.Backbone.state_dict()["features.conv3.weight"].Same(source.state_dict()["features.conv3.weight"]));
    }

    [Fact]
    public void InvalidCombinationsAreRejected()
    {
        Assert.Contains("needs freeze_bn: true",
            Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("freeze_bn_affine", "true")), 1)).Message);
        Assert.Contains("model.frozen_stages: 6 is more than the 5 stages of resnet18",
            Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "resnet18"), ("frozen_stages", "6")))).Message);
        Assert.Contains("model.transform_input: unknown key",
            Assert.Throws<ConfigException>(() => ModelFactory.Create(Model(("backbone", "resnet18"), ("transform_input", "false")))).Message);
    }
}
