using Xbm.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>
/// torchvision's BasicBlock (ResNet-18/34): two 3×3 convolutions with BatchNorm, ReLU, and a shortcut
/// (1×1 convolution + BatchNorm in <c>downsample</c> when the shape changes).
/// </summary>
public sealed class ResNetBasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    /// <summary>Output channels per input "plane" (1 for the basic block).</summary>
    public const long Expansion = 1;

    /// <summary>Creates a block from <paramref name="inputChannels"/> to <paramref name="planes"/> channels.</summary>
    public ResNetBasicBlock(long inputChannels, long planes, long stride) : base(nameof(ResNetBasicBlock))
    {
        conv1 = Conv2d(inputChannels, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = new BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = new BatchNorm2d(planes);
        if (stride != 1 || inputChannels != planes * Expansion)
            downsample = Sequential(Conv2d(inputChannels, planes * Expansion, 1, stride: stride, bias: false), new BatchNorm2d(planes * Expansion));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(bn1.forward(conv1.forward(input)));
        y = bn2.forward(conv2.forward(y));
        var shortcut = downsample is null ? input : downsample.forward(input);
        return functional.relu(y.add_(shortcut, Scalars.One)).MoveToOuterDisposeScope();
    }
}
