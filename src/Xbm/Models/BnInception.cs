using Xbm.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>
/// BN-Inception (Inception v2, Ioffe and Szegedy 2015) with the flat state_dict names of the widely used
/// PyTorch port of the Caffe model: each unit is a convolution with bias named like <c>inception_3a_1x1</c>
/// followed by a BatchNorm named <c>inception_3a_1x1_bn</c> and a ReLU; the classifier (<c>last_linear</c>) is
/// removed and the 1024-channel map is globally pooled (average by default).
/// <para>
/// The Caffe weights expect BGR pixels in [0, 255] minus the mean (104, 117, 128), std 1, crop 227
/// (<see cref="InputSpec.CaffeBgr"/>). With transform_input (default) the network takes ImageNet-normalised
/// RGB like the other backbones and converts it to that convention itself; without it, the loader must
/// produce Caffe input. BatchNorm momentum is PyTorch's default 0.1 (the port's 0.9 is a Caffe-conversion
/// artefact; with frozen BatchNorm, the usual setting for this network, it does not matter).
/// </para>
/// </summary>
public sealed class BnInception : Backbone
{
    /// <summary>One block: name, input channels, 1×1, 3×3 reduce, 3×3, double 3×3 reduce, double 3×3, pool kind, pool projection.</summary>
    internal sealed record BlockSpec(string Name, long In, long C1, long C3Reduce, long C3, long DoubleReduce, long Double, PoolKind Pool, long PoolProjection);

    /// <summary>The pooling branch of a block: average or max pooling and a projection, or a stride-2 max pool (a reduction block).</summary>
    internal enum PoolKind { Average, Max, Reduction }

    private static readonly BlockSpec[] Blocks =
    [
        new("3a", 192, 64, 64, 64, 64, 96, PoolKind.Average, 32),
        new("3b", 256, 64, 64, 96, 64, 96, PoolKind.Average, 64),
        new("3c", 320, 0, 128, 160, 64, 96, PoolKind.Reduction, 0),
        new("4a", 576, 224, 64, 96, 96, 128, PoolKind.Average, 128),
        new("4b", 576, 192, 96, 128, 96, 128, PoolKind.Average, 128),
        new("4c", 576, 160, 128, 160, 128, 160, PoolKind.Average, 128),
        new("4d", 608, 96, 128, 192, 160, 192, PoolKind.Average, 128),
        new("4e", 608, 0, 128, 192, 192, 256, PoolKind.Reduction, 0),
        new("5a", 1056, 352, 192, 320, 160, 224, PoolKind.Average, 128),
        new("5b", 1024, 352, 192, 320, 192, 224, PoolKind.Max, 128),
    ];

    /// <summary>A convolution and its BatchNorm, registered at the top level under their port names.</summary>
    private sealed class Unit(Conv2d conv, BatchNorm2d bn)
    {
        public Conv2d Conv { get; } = conv;
        public BatchNorm2d Bn { get; } = bn;

        public Tensor Forward(Tensor input)
        {
            using var c = Conv.forward(input);
            using var b = Bn.forward(c);
            return functional.relu(b);
        }
    }

    /// <summary>The blocks in order (for the ONNX export).</summary>
    internal static IReadOnlyList<BlockSpec> BlockSpecs => Blocks;

    private readonly Dictionary<string, Unit> units = new(StringComparer.Ordinal);
    private readonly GlobalPooling pool;

    /// <summary>Creates the network.</summary>
    public BnInception(BackboneOptions? options = null) : base(nameof(BnInception))
    {
        options ??= new BackboneOptions();
        TransformInput = options.TransformInput;
        AddUnit("conv1_7x7_s2", 3, 64, 7, 2);
        AddUnit("conv2_3x3_reduce", 64, 64, 1);
        AddUnit("conv2_3x3", 64, 192, 3);
        foreach (var b in Blocks)
        {
            string p = $"inception_{b.Name}_";
            long stride = b.Pool == PoolKind.Reduction ? 2 : 1;
            if (b.C1 > 0)
                AddUnit(p + "1x1", b.In, b.C1, 1);
            AddUnit(p + "3x3_reduce", b.In, b.C3Reduce, 1);
            AddUnit(p + "3x3", b.C3Reduce, b.C3, 3, stride);
            AddUnit(p + "double_3x3_reduce", b.In, b.DoubleReduce, 1);
            AddUnit(p + "double_3x3_1", b.DoubleReduce, b.Double, 3);
            AddUnit(p + "double_3x3_2", b.Double, b.Double, 3, stride);
            if (b.PoolProjection > 0)
                AddUnit(p + "pool_proj", b.In, b.PoolProjection, 1);
        }
        pool = new GlobalPooling(options.Pooling ?? GlobalPoolingKind.Average);
        RegisterComponents();
        ChannelsLast.ApplyIfRequested(this, options.ChannelsLast);
        ApplyFreezing(options);
    }

    /// <summary>True when ImageNet-normalised RGB input is converted to Caffe BGR inside the network.</summary>
    public bool TransformInput { get; }

    /// <summary>The global pooling in use.</summary>
    public GlobalPoolingKind Pooling => pool.Kind;

    /// <inheritdoc />
    public override long FeatureDimension => 1024;

    /// <inheritdoc />
    public override InputSpec Input => TransformInput ? InputSpec.ImageNet with { CropSize = 227 } : InputSpec.CaffeBgr;

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierPrefixes => ["last_linear."];

    /// <inheritdoc />
    protected override IReadOnlyList<IReadOnlyList<nn.Module>> Stages() =>
    [
        StageModules(n => n.StartsWith("conv", StringComparison.Ordinal)),
        StageModules(n => n.StartsWith("inception_3", StringComparison.Ordinal)),
        StageModules(n => n.StartsWith("inception_4", StringComparison.Ordinal)),
        StageModules(n => n.StartsWith("inception_5", StringComparison.Ordinal)),
    ];

    /// <inheritdoc />
    public override Tensor ForwardFeatures(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = TransformInput ? Transform(input) : input;
        x = functional.max_pool2d(Run("conv1_7x7_s2", x), 3, 2, ceil_mode: true);
        x = Run("conv2_3x3", Run("conv2_3x3_reduce", x));
        x = functional.max_pool2d(x, 3, 2, ceil_mode: true);
        foreach (var b in Blocks)
        {
            string p = $"inception_{b.Name}_";
            var outputs = new List<Tensor>(4);
            if (b.C1 > 0)
                outputs.Add(Run(p + "1x1", x));
            outputs.Add(Run(p + "3x3", Run(p + "3x3_reduce", x)));
            outputs.Add(Run(p + "double_3x3_2", Run(p + "double_3x3_1", Run(p + "double_3x3_reduce", x))));
            outputs.Add(b.Pool switch
            {
                PoolKind.Reduction => functional.max_pool2d(x, 3, 2, ceil_mode: true),
                PoolKind.Average => Run(p + "pool_proj", functional.avg_pool2d(x, 3, 1, 1, ceil_mode: true, count_include_pad: true)),
                _ => Run(p + "pool_proj", functional.max_pool2d(x, 3, 1, 1, ceil_mode: true)),
            });
            x = cat(outputs, 1);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var features = ForwardFeatures(input);
        return pool.forward(features);
    }

    private void AddUnit(string name, long inputChannels, long outputChannels, long kernel, long stride = 1)
    {
        var conv = Conv2d(inputChannels, outputChannels, kernel, stride: stride, padding: kernel / 2, bias: true);
        var bn = new BatchNorm2d(outputChannels);
        register_module(name, conv);
        register_module(name + "_bn", bn);
        units.Add(name, new Unit(conv, bn));
    }

    /// <summary>The convolution and BatchNorm of the unit <paramref name="name"/> (for the ONNX export).</summary>
    internal (Conv2d Conv, BatchNorm2d Bn) UnitModules(string name) => (units[name].Conv, units[name].Bn);

    private Tensor Run(string name, Tensor input) => units[name].Forward(input);

    private IReadOnlyList<nn.Module> StageModules(Func<string, bool> belongs) =>
        units.Where(u => belongs(u.Key)).SelectMany(u => new nn.Module[] { u.Value.Conv, u.Value.Bn }).ToList();

    /// <summary>ImageNet-normalised RGB to Caffe input: BGR channel c takes RGB channel 2 − c, (x · std + mean) · 255 − caffe mean.</summary>
    private static Tensor Transform(Tensor x)
    {
        var mean = InputSpec.ImageNet.Mean;
        var std = InputSpec.ImageNet.Std;
        var caffeMean = InputSpec.CaffeBgr.Mean;
        var channels = new Tensor[3];
        for (int c = 0; c < 3; c++)
        {
            int rgb = 2 - c;
            using var scale = (std[rgb] * 255).ToScalar();
            using var shift = (mean[rgb] * 255 - caffeMean[c]).ToScalar();
            channels[c] = x.narrow(1, rgb, 1).mul(scale).add_(shift, Scalars.One);
        }
        return cat(channels, 1);
    }
}
