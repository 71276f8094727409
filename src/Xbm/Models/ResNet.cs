using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>
/// ResNet-18, -34 and -50 with torchvision's layout and state_dict names (conv1, bn1, layer1.0.conv1, …,
/// layer1.0.downsample.0), without the classifier: the last feature map goes through global pooling (max by
/// default, the XBM reference's choice for ResNet-50). Unlike the XBM reference, the ReLU after the first
/// BatchNorm is applied, as in torchvision. <see cref="BackboneOptions.Blocks"/> changes the blocks per stage, e.g.
/// [2, 2, 2, 3] for CNTK's ResNet-18 (imported from ONNX by <see cref="OnnxResNetImporter"/>); the names continue
/// torchvision's pattern (layer4.2.conv1.weight).
/// </summary>
public sealed class ResNet : Backbone
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly GlobalPooling pool;
    private readonly long featureDimension;

    /// <summary>The depths offered: 18, 34, 50.</summary>
    public static IReadOnlyList<int> Depths { get; } = [18, 34, 50];

    /// <summary>Creates a ResNet of the given <paramref name="depth"/> (18, 34 or 50).</summary>
    public ResNet(int depth, BackboneOptions? options = null) : base($"ResNet{depth}")
    {
        options ??= new BackboneOptions();
        int[] counts = depth switch
        {
            18 => [2, 2, 2, 2],
            34 => [3, 4, 6, 3],
            50 => [3, 4, 6, 3],
            _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "ResNet depth must be 18, 34 or 50"),
        };
        if (options.Blocks is { } blocks)
        {
            if (blocks.Count != 4 || blocks.Any(b => b < 1))
                throw new ArgumentException($"ResNet blocks per stage must be four counts of at least 1, got [{string.Join(", ", blocks)}]", nameof(options));
            counts = blocks.ToArray();
        }
        Blocks = counts;
        bool bottleneck = depth >= 50;
        Depth = depth;
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = new BatchNorm2d(64);
        long channels = 64;
        layer1 = MakeLayer(bottleneck, ref channels, 64, counts[0], 1);
        layer2 = MakeLayer(bottleneck, ref channels, 128, counts[1], 2);
        layer3 = MakeLayer(bottleneck, ref channels, 256, counts[2], 2);
        layer4 = MakeLayer(bottleneck, ref channels, 512, counts[3], 2);
        featureDimension = channels;
        pool = new GlobalPooling(options.Pooling ?? GlobalPoolingKind.Max);
        RegisterComponents();
        ChannelsLast.ApplyIfRequested(this, options.ChannelsLast);
        ApplyFreezing(options);
    }

    /// <summary>Blocks per stage, layer1 to layer4 (e.g. [2, 2, 2, 2] for ResNet-18).</summary>
    public IReadOnlyList<int> Blocks { get; }

    /// <summary>18, 34 or 50.</summary>
    public int Depth { get; }

    /// <summary>The global pooling in use.</summary>
    public GlobalPoolingKind Pooling => pool.Kind;

    /// <inheritdoc />
    public override long FeatureDimension => featureDimension;

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierPrefixes => ["fc."];

    /// <inheritdoc />
    protected override IReadOnlyList<IReadOnlyList<nn.Module>> Stages() => [[conv1, bn1], [layer1], [layer2], [layer3], [layer4]];

    /// <inheritdoc />
    public override Tensor ForwardFeatures(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(bn1.forward(conv1.forward(input)));
        x = functional.max_pool2d(x, 3, 2, 1);
        x = layer1.forward(x);
        x = layer2.forward(x);
        x = layer3.forward(x);
        return layer4.forward(x).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var features = ForwardFeatures(input);
        return pool.forward(features);
    }

    private static Sequential MakeLayer(bool bottleneck, ref long channels, long planes, int count, long stride)
    {
        var blocks = new List<Module<Tensor, Tensor>>();
        for (int i = 0; i < count; i++)
        {
            long s = i == 0 ? stride : 1;
            blocks.Add(bottleneck ? new ResNetBottleneck(channels, planes, s) : new ResNetBasicBlock(channels, planes, s));
            channels = planes * (bottleneck ? ResNetBottleneck.Expansion : ResNetBasicBlock.Expansion);
        }
        return Sequential(blocks);
    }
}
