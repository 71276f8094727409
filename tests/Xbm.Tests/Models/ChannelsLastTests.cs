using TorchSharp;
using TorchSharp.Modules;
using Xbm.Configuration;
using Xbm.Models;
using Xbm.Runtime;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

[CollectionDefinition("global generator", DisableParallelization = true)]
public sealed class GlobalGeneratorCollection;

[Collection("global generator")]
public sealed class ChannelsLastTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("xbm-channels-last-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void StridesAndTheCheckFollowPyTorchsChannelsLast()
    {
        // torch.empty(2, 3, 4, 5).to(memory_format=torch.channels_last).stride() == (60, 1, 15, 3)
        Assert.Equal(new long[] { 60, 1, 15, 3 }, ChannelsLast.Strides([2, 3, 4, 5]));
        using var nchw = zeros(2, 3, 4, 5);
        Assert.False(ChannelsLast.Is(nchw));
        using var nhwc = zeros(2, 4, 5, 3);
        using var view = nhwc.permute(0, 3, 1, 2);
        Assert.True(ChannelsLast.Is(view));
        using var single = zeros(2, 1, 4, 5); // one channel: both layouts at once
        Assert.True(ChannelsLast.Is(single));
        Assert.Throws<ArgumentException>(() => ChannelsLast.Strides([2, 3]));
    }

    [Fact]
    public void ApplyKeepsTheParametersAndTheirValuesAndChangesOnlyTheStrides()
    {
        manual_seed(3);
        using var net = new SmallCnn(1, 8, new BackboneOptions { ChannelsLast = false });
        var parameters = net.parameters().ToList();
        var before = parameters.Select(p => p.detach().clone()).ToList();
        ChannelsLast.Apply(net);
        ChannelsLast.Apply(net); // idempotent
        var after = net.parameters().ToList();
        for (int i = 0; i < parameters.Count; i++)
        {
            Assert.Same(parameters[i], after[i]);
            Assert.True(after[i].eq(before[i]).all().item<bool>());
            if (after[i].dim() == 4)
                Assert.True(ChannelsLast.Is(after[i]));
        }
        Assert.Contains(after, p => p.dim() == 4 && p.shape[1] > 1 && !p.is_contiguous());
    }

    [Fact]
    public void AOneChannelWeightGetsExactStridesSoTheFirstConvolutionWritesChannelsLast()
    {
        // A weight with one input channel passes Is with its default strides (9, 9, 3, 1), but libtorch reads NCHW
        // from them: the first convolution on grey images then wrote NCHW, and ReLU's backward ran over mixed layouts.
        using var net = new SmallCnn(1, 8, new BackboneOptions());
        ChannelsLast.Apply(net); // what ChannelsLast = true does where oneDNN is on
        var first = net.parameters().First(p => p.dim() == 4 && p.shape[1] == 1);
        Assert.Equal(ChannelsLast.Strides(first.shape), first.stride());
        using var input = rand(2, 1, 28, 28);
        using var output = nn.functional.conv2d(input, first, padding: new long[] { 1, 1 });
        Assert.True(ChannelsLast.Is(output), $"strides [{string.Join(", ", output.stride())}]");
    }

    public static TheoryData<string> Backbones => new() { "small_cnn", "resnet18" };

    [Theory]
    [MemberData(nameof(Backbones))]
    public void ChannelsLastGivesTheSameEmbeddingsAndGradients(string backbone)
    {
        long channels = backbone == "small_cnn" ? 1 : 3;
        long size = backbone == "small_cnn" ? 28 : 64;
        using var input = rand(4, channels, size, size, generator: new Generator(11));
        var results = new List<(Tensor Output, List<Tensor> Gradients)>();
        // The second model takes the first one's values through its state dict. The first is seeded. The class runs
        // alone, so no other test draws from the global generator meanwhile. ResNet-18 runs with BatchNorm on its
        // running statistics: in training mode its BatchNorm over 2×2 maps of 4 images amplifies float32 rounding by up
        // to 10⁴, depending on the initialisation (float32 against float64 differed by 1e-5 to 0.23 over seeds 1 to 6,
        // with MKL's generic kernels and with its AVX-512 ones alike), so a comparison there measures the
        // conditioning, not the layout. In eval mode the same comparison gives 5e-7 to 1e-6 on every seed, and
        // every convolution still runs forward and backward in both layouts. The small CNN trains its BatchNorm.
        Dictionary<string, Tensor>? values = null;
        manual_seed(5);
        // Three runs: float32 NCHW, float32 channels-last, and float64 NCHW as the reference that both must match.
        foreach (var (channelsLast, dtype) in new[] { (false, ScalarType.Float32), (true, ScalarType.Float32), (false, ScalarType.Float64) })
        {
            var options = new BackboneOptions { ChannelsLast = channelsLast };
            using var model = new EmbeddingModel(ModelFactory.CreateBackbone(backbone, options, channels, 8), 16);
            if (values is null)
                values = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            else
                model.load_state_dict(values);
            model.to(dtype);
            if (backbone == "resnet18")
                model.eval();
            else
                model.train();
            var output = model.forward(input.to(dtype));
            output.pow(Xbm.Runtime.Scalars.Three).sum().backward();
            results.Add((output.detach(), model.parameters().Select(p => p.grad!.detach().clone()).ToList()));
            if (channelsLast)
                Assert.Contains(model.parameters(), p => p.dim() == 4 && p.shape[1] > 1 && ChannelsLast.Is(p) && !p.is_contiguous());
            else if (dtype == ScalarType.Float32)
                Assert.All(model.parameters(), p => Assert.True(p.is_contiguous()));
        }
        // Only the summation order differs: both layouts agree with the float64 reference to float rounding,
        // relative to each tensor's scale. (On a processor that hides its cache sizes from CPUID, oneDNN returned a
        // wrong NCHW gradient here; see OneDnnGuard.)
        var reference = results[2];
        foreach (var (run, name) in new[] { (results[0], "NCHW"), (results[1], "channels-last") })
        {
            AssertClose(reference.Output, run.Output, $"{name}: the embeddings");
            for (int i = 0; i < reference.Gradients.Count; i++)
                AssertClose(reference.Gradients[i], run.Gradients[i], $"{name}: gradient {i}");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        float difference = expected.to(ScalarType.Float64).sub(actual.to(ScalarType.Float64)).abs().max().item<double>() is var d ? (float)d : 0;
        float scale = (float)expected.abs().max().to(ScalarType.Float64).item<double>();
        Assert.True(difference <= 1e-4f * scale + 1e-7f, $"{what} differs: max |difference| {difference}, max |value| {scale}");
    }

    [Fact]
    public void TheConfigKeyTurnsItOffAndItIsOnByDefault()
    {
        static ConfigSection Model(params (string Key, object? Value)[] values) =>
            new(values.ToDictionary(v => v.Key, v => v.Value), "test.yaml", "model");
        using var on = ModelFactory.Create(Model(("width", "8")), inputChannels: 1);
        // On by default, with oneDNN or without it (libtorch's own channels-last kernels are exact too).
        Assert.Contains(on.parameters(), p => p.dim() == 4 && !p.is_contiguous());
        using var off = ModelFactory.Create(Model(("width", "8"), ("channels_last", "false")), inputChannels: 1);
        Assert.All(off.parameters(), p => Assert.True(p.is_contiguous()));
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void OptimizerStateOfChannelsLastWeightsSavesAndLoadsExactly(string name)
    {
        manual_seed(7);
        var backbone = new SmallCnn(1, 8, new BackboneOptions());
        ChannelsLast.Apply(backbone); // the layout under test, also where OneDnnGuard keeps models NCHW
        using var model = new EmbeddingModel(backbone, 16);
        var options = new Xbm.Training.OptimizerOptions(name, LearningRate: 1e-3, Momentum: 0.9);
        using var optimizer = OptimizerFactory.Create(options, model.parameters());
        using var input = rand(4, 1, 28, 28, generator: new Generator(1));
        for (int step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            model.forward(input).pow(Scalars.Two).sum().backward();
            optimizer.step();
        }
        string path = Path.Combine(dir, $"{name}.bin");
        // TorchSharp alone refuses the moments of channels-last weights.
        Assert.Contains("non-contiguous", Assert.Throws<InvalidOperationException>(() => optimizer.save_state_dict(path)).Message);
        using (OptimizerStateLayout.Contiguous(optimizer))
            optimizer.save_state_dict(path);
        var saved = StateTensors(optimizer).Select(t => t.clone()).ToList();
        Assert.Contains(StateTensors(optimizer), t => !t.is_contiguous()); // the originals are back, layout kept

        using var fresh = OptimizerFactory.Create(options, model.parameters());
        foreach (var t in StateTensors(fresh))
            t.fill_(Scalars.MinusOne);
        using (OptimizerStateLayout.Contiguous(fresh))
            fresh.load_state_dict(path);
        var loaded = StateTensors(fresh);
        Assert.Equal(saved.Count, loaded.Count);
        for (int i = 0; i < saved.Count; i++)
            Assert.True(saved[i].eq(loaded[i]).all().item<bool>(), $"state tensor {i} differs after the round trip");
    }

    private static List<Tensor> StateTensors(OptimizerHelper optimizer) =>
        optimizer.state_dict().State
            .SelectMany(s => s.GetType().GetFields().Where(f => f.FieldType == typeof(Tensor)).Select(f => f.GetValue(s) as Tensor))
            .OfType<Tensor>().ToList();
}
