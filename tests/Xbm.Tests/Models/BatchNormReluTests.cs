using TorchSharp;
using Xbm.Models;
using Xbm.Runtime;
using Xbm.Tests.Runtime;
using static TorchSharp.torch;
using static Xbm.Tests.Models.TensorComparison;

namespace Xbm.Tests.Models;

/// <summary>
/// BatchNorm followed by ReLU in one host function (<see cref="BatchNormReluFunction"/>) against libtorch's batch_norm
/// and ReLU in float64: the output, the running statistics and the three gradients, for channel counts that take the
/// kernels' groups of 32 channels, their single vectors and their scalar tails, and row counts over several blocks.
/// </summary>
public sealed class BatchNormReluTests
{
    private const double Momentum = 0.1;
    private const double Eps = 1e-5;

    [Theory]
    [InlineData(4, 16, 7, 7, 0.0)] // two vectors of one group
    [InlineData(3, 40, 5, 7, 0.0)] // a group of 32 and one of 8
    [InlineData(5, 70, 4, 4, 0.0)] // two groups of 32 and a tail of 6
    [InlineData(2, 13, 6, 6, 0.0)] // one vector and a tail of 5
    [InlineData(16, 3, 3, 3, 0.0)] // the scalar tail only
    [InlineData(4, 8, 25, 25, 0.0)] // 2,500 rows: ten blocks of the statistics, the last one partial
    [InlineData(4, 24, 10, 10, 100.0)] // a mean far from zero: the variance must not cancel
    public void MatchesFloat64BatchNormAndRelu(int n, int c, int h, int w, double offset)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(n * 1000 + c));
        using var half = 0.5.ToScalar();
        using var shift = offset.ToScalar();
        using var small = 0.3.ToScalar();
        var spread = rand([1, c, 1, 1], generator: generator).add(half, Scalars.One);
        var x = randn([n, c, h, w], generator: generator).mul(spread).add(shift, Scalars.One).ToChannelsLast();
        var gamma = rand([c], generator: generator).add(half, Scalars.One);
        gamma[0] = tensor(-0.7f); // a negative scale flips ReLU's mask
        var beta = randn([c], generator: generator).mul(small);
        var upstream = randn([n, c, h, w], generator: generator).ToChannelsLast();
        var runningMean = randn([c], generator: generator);
        var runningVariance = rand([c], generator: generator).add(half, Scalars.One);

        var input = x.clone().ToChannelsLast().requires_grad_();
        var weight = gamma.clone().requires_grad_();
        var bias = beta.clone().requires_grad_();
        var mean = runningMean.clone();
        var variance = runningVariance.clone();
        Assert.True(BatchNormReluFunction.Accepts(input, weight, bias, mean, variance));
        long before = BatchNormReluFunction.HostForwards;
        var output = BatchNormReluFunction.Apply(input, weight, bias, mean, variance, Momentum, Eps);
        Assert.Equal(before + 1, BatchNormReluFunction.HostForwards);
        Assert.True(ChannelsLast.Is(output));
        output.backward([upstream]);

        // float64 reference; ReLU's mask taken from our output, so that values within rounding of zero agree.
        var input64 = x.to(float64).requires_grad_();
        var weight64 = gamma.to(float64).requires_grad_();
        var bias64 = beta.to(float64).requires_grad_();
        var mean64 = runningMean.to(float64);
        var variance64 = runningVariance.to(float64);
        var normalised64 = nn.functional.batch_norm(input64, mean64, variance64, weight64, bias64, true, Momentum, Eps);
        var passed = output.gt(Scalars.Zero).to(float64);
        normalised64.backward([upstream.to(float64) * passed]);
        var output64 = nn.functional.relu(normalised64);

        // Measured: at most 1.7e-6 of the scale (the output and the input's gradient with the mean at 100).
        AssertClose(output64, output, 5e-6, "output");
        AssertClose(input64.grad!, input.grad!, 5e-6, "input gradient");
        AssertClose(weight64.grad!, weight.grad!, 5e-6, "weight gradient");
        AssertClose(bias64.grad!, bias.grad!, 5e-6, "bias gradient");
        AssertClose(mean64, mean, 1e-6, "running mean");
        AssertClose(variance64, variance, 1e-6, "running variance");
        Assert.True(ChannelsLast.Is(input.grad!));
    }

    [Fact]
    public void AnUpstreamGradientInAnotherLayoutIsCopiedFirst()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        var x = randn([2, 16, 5, 5], generator: generator).ToChannelsLast();
        var upstream = randn([2, 16, 5, 5], generator: generator); // contiguous (NCHW)
        var weight = ones(16).requires_grad_();
        var bias = zeros(16).requires_grad_();

        var fused = x.clone().ToChannelsLast().requires_grad_();
        BatchNormReluFunction.Apply(fused, weight, bias, zeros(16), ones(16), Momentum, Eps).backward([upstream]);
        var reference = x.clone().requires_grad_();
        nn.functional.relu(nn.functional.batch_norm(reference, zeros(16), ones(16), ones(16), zeros(16), true, Momentum, Eps)).backward([upstream]);
        AssertClose(reference.grad!, fused.grad!, 1e-5, "input gradient");
    }

    [Fact]
    public void TheLayerTakesTheHostFormForChannelsLastInputAndLibtorchsOtherwise()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(8);
        using var fused = new BatchNorm2d(24, relu: true);
        using var plain = new BatchNorm2d(24, relu: true);
        using var half = 0.5.ToScalar();
        using (no_grad())
        {
            var scale = rand([24], generator: generator).add(half, Scalars.One);
            var shift = randn([24], generator: generator);
            foreach (var layer in new[] { fused, plain })
            {
                layer.get_parameter("weight")!.copy_(scale);
                layer.get_parameter("bias")!.copy_(shift);
            }
        }
        for (int step = 0; step < 3; step++)
        {
            var x = randn([4, 24, 6, 6], generator: generator);
            var a = x.ToChannelsLast().requires_grad_();
            var b = x.clone().requires_grad_(); // NCHW: libtorch's batch_norm and relu
            long before = BatchNormReluFunction.HostForwards;
            var outA = fused.forward(a);
            Assert.Equal(before + 1, BatchNormReluFunction.HostForwards);
            var outB = plain.forward(b);
            Assert.Equal(before + 1, BatchNormReluFunction.HostForwards);
            AssertClose(outB, outA, 1e-5, "output");
            Assert.True(outB.min().item<float>() >= 0);
            outA.mul(outA).sum().backward();
            outB.mul(outB).sum().backward();
            AssertClose(b.grad!, a.grad!, 1e-4, "input gradient");
        }
        AssertClose(plain.get_parameter("weight")!.grad!, fused.get_parameter("weight")!.grad!, 1e-4, "weight gradient");
        AssertClose(plain.get_parameter("bias")!.grad!, fused.get_parameter("bias")!.grad!, 1e-4, "bias gradient");
        foreach (var (key, value) in plain.state_dict())
            AssertClose(value.to(float64), fused.state_dict()[key].to(float64), 1e-6, key);
        Assert.Equal(3L, fused.get_buffer("num_batches_tracked")!.item<long>());

        // Eval mode: the running statistics, then ReLU.
        fused.eval();
        var test = randn([2, 24, 3, 3], generator: generator).ToChannelsLast();
        var expected = nn.functional.relu(nn.functional.batch_norm(test, fused.get_buffer("running_mean")!, fused.get_buffer("running_var")!,
            fused.get_parameter("weight")!, fused.get_parameter("bias")!, false, Momentum, Eps));
        Assert.True(expected.Same(fused.forward(test)));
    }

    [Fact]
    public void AFrozenScaleAndShiftGetNoGradientAndTheInputStillDoes()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        using var layer = new BatchNorm2d(16, relu: true);
        foreach (var parameter in layer.parameters())
            parameter.requires_grad_(false);
        var x = randn([3, 16, 4, 4], generator: generator);
        var a = x.ToChannelsLast().requires_grad_();
        layer.forward(a).sum().backward();
        Assert.Null(layer.get_parameter("weight")!.grad);
        var b = x.clone().requires_grad_();
        nn.functional.relu(nn.functional.batch_norm(b, zeros(16), ones(16), ones(16), zeros(16), true, Momentum, Eps)).sum().backward();
        AssertClose(b.grad!, a.grad!, 1e-5, "input gradient");
    }

    [Fact]
    public void OneValuePerChannelTakesLibtorchsForm()
    {
        using var scope = NewDisposeScope();
        using var layer = new BatchNorm2d(8, relu: true);
        var single = randn([1, 8, 1, 1]).ToChannelsLast();
        Assert.False(BatchNormReluFunction.Accepts(single, ones(8), zeros(8), zeros(8), ones(8)));
        long before = BatchNormReluFunction.HostForwards;
        var expected = nn.functional.relu(nn.functional.batch_norm(single, zeros(8), ones(8), ones(8), zeros(8), true, Momentum, Eps));
        Assert.True(expected.Same(layer.forward(single)));
        Assert.Equal(before, BatchNormReluFunction.HostForwards);
    }
}
