using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>
/// torchvision's Inception block of GoogLeNet: branch1 (1×1), branch2 (1×1 → 3×3), branch3 (1×1 → 3×3; the
/// paper has 5×5 here, torchvision's weights use 3×3, so do we), branch4 (3×3 max pool → 1×1), concatenated.
/// </summary>
public sealed class GoogLeNetInception : Module<Tensor, Tensor>
{
    private readonly GoogLeNetConv branch1;
    private readonly Sequential branch2;
    private readonly Sequential branch3;
    private readonly Sequential branch4;

    /// <summary>Creates the block with torchvision's channel arguments.</summary>
    public GoogLeNetInception(long inputChannels, long ch1x1, long ch3x3Reduce, long ch3x3, long ch5x5Reduce, long ch5x5, long poolProjection)
        : base(nameof(GoogLeNetInception))
    {
        branch1 = new GoogLeNetConv(inputChannels, ch1x1, 1);
        branch2 = Sequential(new GoogLeNetConv(inputChannels, ch3x3Reduce, 1), new GoogLeNetConv(ch3x3Reduce, ch3x3, 3, padding: 1));
        branch3 = Sequential(new GoogLeNetConv(inputChannels, ch5x5Reduce, 1), new GoogLeNetConv(ch5x5Reduce, ch5x5, 3, padding: 1));
        branch4 = Sequential(MaxPool2d(3, stride: 1, padding: 1, ceil_mode: true), new GoogLeNetConv(inputChannels, poolProjection, 1));
        OutputChannels = ch1x1 + ch3x3 + ch5x5 + poolProjection;
        RegisterComponents();
    }

    /// <summary>Channels of the concatenated output.</summary>
    public long OutputChannels { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var b1 = branch1.forward(input);
        using var b2 = branch2.forward(input);
        using var b3 = branch3.forward(input);
        using var b4 = branch4.forward(input);
        return cat([b1, b2, b3, b4], 1);
    }
}
