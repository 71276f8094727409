using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>torchvision's BasicConv2d of GoogLeNet: convolution without bias (<c>conv</c>), BatchNorm with eps 1e-3 (<c>bn</c>), ReLU.</summary>
public sealed class GoogLeNetConv : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    /// <summary>Creates the unit.</summary>
    public GoogLeNetConv(long inputChannels, long outputChannels, long kernel, long stride = 1, long padding = 0) : base(nameof(GoogLeNetConv))
    {
        conv = Conv2d(inputChannels, outputChannels, kernel, stride: stride, padding: padding, bias: false);
        bn = new BatchNorm2d(outputChannels, eps: 1e-3);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var c = conv.forward(input);
        using var b = bn.forward(c);
        return functional.relu(b);
    }
}
