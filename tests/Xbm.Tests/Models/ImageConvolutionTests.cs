using TorchSharp;
using Xbm.Models;
using Xbm.Runtime;
using Xbm.Tests.Runtime;
using static TorchSharp.torch;
using static Xbm.Tests.Models.TensorComparison;

namespace Xbm.Tests.Models;

/// <summary>
/// The host form of a first convolution over grey images (<see cref="ImageConvolutionFunction"/>) against libtorch's
/// conv2d in float64: the output and the weight's gradient, and the cases it must leave to libtorch.
/// </summary>
public sealed class ImageConvolutionTests
{
    [Theory]
    [InlineData(3, 7, 5, 16)]
    [InlineData(2, 28, 28, 8)]
    [InlineData(4, 32, 32, 24)]
    public void MatchesFloat64Convolution(int n, int h, int w, int channels)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(n * 100 + channels));
        using var conv = nn.Conv2d(1, channels, 3, padding: 1, bias: false);
        using (no_grad())
            conv.weight!.copy_(randn([channels, 1, 3, 3], generator: generator));
        ChannelsLast.Apply(conv);
        var images = rand([n, 1, h, w], generator: generator);
        var upstream = randn([n, channels, h, w], generator: generator).ToChannelsLast();

        Assert.True(ImageConvolutionFunction.Accepts(images, conv));
        long before = ImageConvolutionFunction.HostForwards;
        var output = ImageConvolutionFunction.Apply(images, conv.weight!);
        Assert.Equal(before + 1, ImageConvolutionFunction.HostForwards);
        Assert.True(ChannelsLast.Is(output));
        output.backward([upstream]);

        var weight64 = conv.weight!.detach().to(float64).requires_grad_();
        var output64 = nn.functional.conv2d(images.to(float64), weight64, padding: [1, 1]);
        output64.backward([upstream.to(float64)]);
        AssertClose(output64, output, 1e-6, "output");
        AssertClose(weight64.grad!, conv.weight!.grad!, 1e-6, "weight gradient");
    }

    [Fact]
    public void ASecondBackwardPassOverTheSameGraphAddsTheSameGradient()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(2);
        using var conv = nn.Conv2d(1, 8, 3, padding: 1, bias: false);
        var images = rand([2, 1, 6, 6], generator: generator);
        var upstream = randn([2, 8, 6, 6], generator: generator).ToChannelsLast();
        var output = ImageConvolutionFunction.Apply(images, conv.weight!);
        output.backward([upstream], retain_graph: true);
        var once = conv.weight!.grad!.clone();
        output.backward([upstream]);
        AssertClose(once.mul(Scalars.Two), conv.weight!.grad!, 1e-6, "twice the gradient");
    }

    [Fact]
    public void OtherInputsAndLayersAreLeftToLibtorch()
    {
        using var scope = NewDisposeScope();
        using var conv = nn.Conv2d(1, 16, 3, padding: 1, bias: false);
        var grey = rand([2, 1, 8, 8]);
        Assert.True(ImageConvolutionFunction.Accepts(grey, conv));
        Assert.False(ImageConvolutionFunction.Accepts(grey.clone().requires_grad_(), conv)); // its gradient is not computed here
        Assert.False(ImageConvolutionFunction.Accepts(rand([2, 3, 8, 8]), nn.Conv2d(3, 16, 3, padding: 1, bias: false)));
        Assert.False(ImageConvolutionFunction.Accepts(grey.to(float64), conv));
        Assert.False(ImageConvolutionFunction.Accepts(grey, nn.Conv2d(1, 12, 3, padding: 1, bias: false)));
        Assert.False(ImageConvolutionFunction.Accepts(grey, nn.Conv2d(1, 16, 3, padding: 1, bias: true)));
        Assert.False(ImageConvolutionFunction.Accepts(grey, nn.Conv2d(1, 16, 3, stride: 2, padding: 1, bias: false)));
        Assert.False(ImageConvolutionFunction.Accepts(grey, nn.Conv2d(1, 16, 5, padding: 2, bias: false)));
        Assert.False(ImageConvolutionFunction.Accepts(grey, nn.ReLU()));
    }

    [Fact]
    public void TheSmallCnnTrainsTheSameWithEitherForm()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(4);
        using var host = new SmallCnn(1, 16);
        using var plain = new SmallCnn(1, 16);
        plain.load_state_dict(host.state_dict());
        host.train();
        plain.train();
        var images = rand([4, 1, 28, 28], generator: generator);

        long before = ImageConvolutionFunction.HostForwards;
        var a = host.forward(images);
        Assert.Equal(before + 1, ImageConvolutionFunction.HostForwards);
        var b = plain.forward(images.clone().requires_grad_()); // an input with a gradient takes libtorch's convolution
        Assert.Equal(before + 1, ImageConvolutionFunction.HostForwards);
        AssertClose(b, a, 1e-5, "features");
        a.pow(Scalars.Two).sum().backward();
        b.pow(Scalars.Two).sum().backward();
        foreach (var ((name, p), (_, q)) in plain.named_parameters().Zip(host.named_parameters()))
            AssertClose(p.grad!, q.grad!, 1e-4, name);
    }
}
