using TorchSharp;
using Xbm.IO;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

public sealed class WeightLoaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("xbm-weights-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    private static SmallCnn Small(int seed)
    {
        manual_seed(seed);
        return new SmallCnn(inputChannels: 1, width: 4);
    }

    private static Dictionary<string, Tensor> Copies(nn.Module module) =>
        module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

    [Fact]
    public void RoundTripThroughSafetensorsIsBitExact()
    {
        using var scope = NewDisposeScope();
        using var source = new ResNet(18);
        DeterministicWeights.Fill(source);
        using (no_grad())
            foreach (var (name, t) in source.state_dict().Where(p => p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            {
                using var count = name.Length.ToScalar();
                t.fill_(count); // counters too
            }
        string file = PathOf("resnet18.safetensors");
        WeightLoader.Save(source, file, new Dictionary<string, string> { ["arch"] = "resnet18" });

        manual_seed(7);
        using var target = new ResNet(18);
        Assert.False(target.state_dict()["conv1.weight"].Same(source.state_dict()["conv1.weight"]));
        var report = WeightLoader.Load(target, file);

        var expected = source.state_dict();
        var actual = target.state_dict();
        Assert.Equal(expected.Count, report.Loaded.Count);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Empty(report.Converted);
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value.dtype, actual[key].dtype);
            Assert.True(value.Same(actual[key]), $"{key} differs after the round trip");
        }
        Assert.Equal("resnet18", SafeTensors.Inspect(file).Metadata["arch"]);
    }

    [Fact]
    public void TorchvisionClassifierKeysAreIgnoredNotFatal()
    {
        using var scope = NewDisposeScope();
        using var backbone = new ResNet(18);
        using var quarter = 0.25f.ToScalar();
        var file = BackboneFixtures.Keys("resnet18").ToDictionary(k => k.Key, k => k.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)
            ? zeros(k.Shape, ScalarType.Int64)
            : full(k.Shape, quarter));

        var report = WeightLoader.Load(backbone, file, "torchvision-resnet18", new WeightLoadOptions { IgnoredPrefixes = backbone.ClassifierPrefixes });

        Assert.Equal(["fc.bias", "fc.weight"], report.Ignored);
        Assert.Empty(report.Unexpected);
        Assert.Empty(report.Missing);
        Assert.Equal(backbone.state_dict().Count, report.Loaded.Count);
        Assert.Equal(0.25f, backbone.state_dict()["layer4.1.bn2.running_var"][3].item<float>());
    }

    [Fact]
    public void MisshapedKeyIsFatalAndNamesTheKeyAndBothShapes()
    {
        using var scope = NewDisposeScope();
        using var model = Small(1);
        var state = Copies(model);
        state["features.conv1.weight"] = zeros(4, 1, 5, 5);
        string file = PathOf("bad.safetensors");
        SafeTensors.Save(file, state);
        var before = Copies(model);

        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, file, new WeightLoadOptions { Strict = false }));

        Assert.Contains(file, e.Message);
        Assert.Contains("features.conv1.weight: the file has F32 [4, 1, 5, 5], the model expects F32 [4, 1, 3, 3]", e.Message);
        foreach (var (key, value) in model.state_dict())
            Assert.True(value.Same(before[key]), $"{key} was modified although loading failed");
    }

    [Fact]
    public void MissingAndUnexpectedKeysFailWhenStrictAndAreReportedOtherwise()
    {
        using var scope = NewDisposeScope();
        using var source = Small(1);
        var state = Copies(source);
        state.Remove("features.bn5.running_var");
        state["extra.weight"] = ones(3);
        string file = PathOf("partial.safetensors");
        SafeTensors.Save(file, state);

        using var strictTarget = Small(2);
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(strictTarget, file));
        Assert.Contains("missing from the file: features.bn5.running_var", e.Message);
        Assert.Contains("unexpected in the file (not in the model): extra.weight", e.Message);

        using var lenient = Small(3);
        var varBefore = lenient.state_dict()["features.bn5.running_var"].clone();
        var report = WeightLoader.Load(lenient, file, new WeightLoadOptions { Strict = false });
        Assert.Equal(["features.bn5.running_var"], report.Missing);
        Assert.Equal(["extra.weight"], report.Unexpected);
        Assert.True(lenient.state_dict()["features.bn5.running_var"].Same(varBefore));
        Assert.True(lenient.state_dict()["features.conv2.weight"].Same(source.state_dict()["features.conv2.weight"]));
    }

    [Fact]
    public void MissingBatchNormCountersAreForgivenEvenWhenStrict()
    {
        using var scope = NewDisposeScope();
        using var source = Small(1);
        var state = Copies(source).Where(p => !p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToDictionary();
        string file = PathOf("old.safetensors");
        SafeTensors.Save(file, state);

        using var target = Small(2);
        var report = WeightLoader.Load(target, file);

        Assert.Equal(5, report.Missing.Count);
        Assert.Empty(report.MissingRequired);
        Assert.True(target.state_dict()["features.bn3.weight"].Same(source.state_dict()["features.bn3.weight"]));
    }

    [Fact]
    public void HalfPrecisionWeightsAreConvertedToTheModelsFloatType()
    {
        using var scope = NewDisposeScope();
        using var source = Small(1);
        var half = source.state_dict().ToDictionary(p => p.Key,
            p => p.Value.is_floating_point() ? p.Value.to_type(ScalarType.Float16) : p.Value.clone());
        string file = PathOf("half.safetensors");
        SafeTensors.Save(file, half);
        Assert.Equal(ScalarType.Float16, SafeTensors.Inspect(file).Entries.First(e => e.Name == "features.conv1.weight").DType);

        using var target = Small(2);
        var report = WeightLoader.Load(target, file);

        Assert.Contains("features.conv1.weight: F16 → F32", report.Converted);
        var loaded = target.state_dict()["features.conv1.weight"];
        Assert.Equal(ScalarType.Float32, loaded.dtype);
        Assert.True(loaded.Same(half["features.conv1.weight"].to_type(ScalarType.Float32)));
    }

    [Fact]
    public void CheckReadsOnlyTheHeaderAndChangesNothing()
    {
        using var scope = NewDisposeScope();
        using var source = Small(1);
        string file = PathOf("check.safetensors");
        WeightLoader.Save(source, file);
        using var target = Small(2);
        var before = Copies(target);

        var report = WeightLoader.Check(target, file);

        Assert.Equal(source.state_dict().Count, report.Loaded.Count);
        Assert.Empty(report.Problems(strict: true));
        foreach (var (key, value) in target.state_dict())
            Assert.True(value.Same(before[key]));
    }

    [Fact]
    public void IntegerTensorForAFloatParameterIsAMismatch()
    {
        using var scope = NewDisposeScope();
        using var model = Small(1);
        var state = Copies(model);
        state["features.bn1.bias"] = zeros([4], ScalarType.Int64);
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, state, "ints"));
        Assert.Contains("features.bn1.bias: the file has I64 [4], the model expects F32 [4]", e.Message);
    }
}
