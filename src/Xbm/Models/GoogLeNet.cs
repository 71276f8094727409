using Xbm.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>
/// GoogLeNet (Inception v1) with torchvision's layout and state_dict names (conv1.conv, conv1.bn,
/// inception3a.branch2.1.conv, …), BatchNorm eps 1e-3, auxiliary heads and classifier removed, 1024 features.
/// With transform_input (default) it takes ImageNet-normalised RGB and rescales it to the (x − 0.5) / 0.5
/// input torchvision's converted weights expect, as torchvision does for pretrained GoogLeNet.
/// </summary>
public sealed class GoogLeNet : Backbone
{
    private readonly GoogLeNetConv conv1;
    private readonly GoogLeNetConv conv2;
    private readonly GoogLeNetConv conv3;
    private readonly GoogLeNetInception inception3a;
    private readonly GoogLeNetInception inception3b;
    private readonly GoogLeNetInception inception4a;
    private readonly GoogLeNetInception inception4b;
    private readonly GoogLeNetInception inception4c;
    private readonly GoogLeNetInception inception4d;
    private readonly GoogLeNetInception inception4e;
    private readonly GoogLeNetInception inception5a;
    private readonly GoogLeNetInception inception5b;
    private readonly GlobalPooling pool;

    /// <summary>Creates the network (default pooling: average, as torchvision).</summary>
    public GoogLeNet(BackboneOptions? options = null) : base(nameof(GoogLeNet))
    {
        options ??= new BackboneOptions();
        TransformInput = options.TransformInput;
        conv1 = new GoogLeNetConv(3, 64, 7, stride: 2, padding: 3);
        conv2 = new GoogLeNetConv(64, 64, 1);
        conv3 = new GoogLeNetConv(64, 192, 3, padding: 1);
        inception3a = new GoogLeNetInception(192, 64, 96, 128, 16, 32, 32);
        inception3b = new GoogLeNetInception(256, 128, 128, 192, 32, 96, 64);
        inception4a = new GoogLeNetInception(480, 192, 96, 208, 16, 48, 64);
        inception4b = new GoogLeNetInception(512, 160, 112, 224, 24, 64, 64);
        inception4c = new GoogLeNetInception(512, 128, 128, 256, 24, 64, 64);
        inception4d = new GoogLeNetInception(512, 112, 144, 288, 32, 64, 64);
        inception4e = new GoogLeNetInception(528, 256, 160, 320, 32, 128, 128);
        inception5a = new GoogLeNetInception(832, 256, 160, 320, 32, 128, 128);
        inception5b = new GoogLeNetInception(832, 384, 192, 384, 48, 128, 128);
        pool = new GlobalPooling(options.Pooling ?? GlobalPoolingKind.Average);
        RegisterComponents();
        ChannelsLast.ApplyIfRequested(this, options.ChannelsLast);
        ApplyFreezing(options);
    }

    /// <summary>True when ImageNet-normalised input is rescaled inside the network.</summary>
    public bool TransformInput { get; }

    /// <summary>The global pooling in use.</summary>
    public GlobalPoolingKind Pooling => pool.Kind;

    /// <inheritdoc />
    public override long FeatureDimension => inception5b.OutputChannels;

    /// <inheritdoc />
    public override InputSpec Input => TransformInput
        ? InputSpec.ImageNet
        : InputSpec.ImageNet with { Mean = [0.5, 0.5, 0.5], Std = [0.5, 0.5, 0.5] };

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierPrefixes => ["fc.", "aux1.", "aux2."];

    /// <inheritdoc />
    protected override IReadOnlyList<IReadOnlyList<nn.Module>> Stages() =>
    [
        [conv1, conv2, conv3],
        [inception3a, inception3b],
        [inception4a, inception4b, inception4c, inception4d, inception4e],
        [inception5a, inception5b],
    ];

    /// <inheritdoc />
    public override Tensor ForwardFeatures(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = TransformInput ? Transform(input) : input;
        x = functional.max_pool2d(conv1.forward(x), 3, 2, ceil_mode: true);
        x = functional.max_pool2d(conv3.forward(conv2.forward(x)), 3, 2, ceil_mode: true);
        x = inception3b.forward(inception3a.forward(x));
        x = functional.max_pool2d(x, 3, 2, ceil_mode: true);
        x = inception4a.forward(x);
        x = inception4b.forward(x);
        x = inception4c.forward(x);
        x = inception4d.forward(x);
        x = inception4e.forward(x);
        x = functional.max_pool2d(x, 2, 2, ceil_mode: true);
        return inception5b.forward(inception5a.forward(x)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var features = ForwardFeatures(input);
        return pool.forward(features);
    }

    /// <summary>ImageNet-normalised RGB to (p − 0.5) / 0.5 per channel: x · (std / 0.5) + (mean − 0.5) / 0.5.</summary>
    private static Tensor Transform(Tensor x)
    {
        var mean = InputSpec.ImageNet.Mean;
        var std = InputSpec.ImageNet.Std;
        var channels = new Tensor[3];
        for (int c = 0; c < 3; c++)
        {
            using var scale = (std[c] / 0.5).ToScalar();
            using var shift = ((mean[c] - 0.5) / 0.5).ToScalar();
            channels[c] = x.narrow(1, c, 1).mul(scale).add_(shift, Scalars.One);
        }
        return cat(channels, 1);
    }
}
