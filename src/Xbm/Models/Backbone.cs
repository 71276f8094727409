using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// A feature extractor: images (N×C×H×W) to pooled features (N×<see cref="FeatureDimension"/>). Parameter and
/// buffer names follow the architecture's usual PyTorch implementation, so converted weights load by name.
/// Offers frozen BatchNorm statistics (BatchNorm layers stay in eval mode while the rest trains), frozen
/// BatchNorm scale/shift, and frozen leading stages (no gradients, eval mode).
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates a backbone registered under <paramref name="name"/>.</summary>
    protected Backbone(string name) : base(name)
    {
        Runtime.OneDnnGuard.Apply(); // before the first convolution: oneDNN divides by cache sizes some CPUs do not report
    }

    /// <summary>Width of the pooled feature vector.</summary>
    public abstract long FeatureDimension { get; }

    /// <summary>The input normalisation and crop size this backbone expects from the loader.</summary>
    public virtual InputSpec Input => InputSpec.ImageNet;

    /// <summary>
    /// Key prefixes of the classification head(s) found in pretrained files of this architecture (for example
    /// "fc."): ignored when loading weights, and listed as such in the load report.
    /// </summary>
    public virtual IReadOnlyList<string> ClassifierPrefixes => [];

    /// <summary>Number of stages that <see cref="FreezeStages"/> can freeze (the stem counts as the first).</summary>
    public int StageCount => Stages().Count;

    /// <summary>True when BatchNorm layers stay in eval mode during training.</summary>
    public bool BatchNormStatisticsFrozen { get; private set; }

    /// <summary>True when the BatchNorm scale and shift get no gradient.</summary>
    public bool BatchNormAffineFrozen { get; private set; }

    /// <summary>Number of leading stages frozen.</summary>
    public int FrozenStages { get; private set; }

    /// <summary>The last feature map before global pooling (N×C×h×w).</summary>
    public virtual Tensor ForwardFeatures(Tensor input) =>
        throw new NotSupportedException($"{GetType().Name} does not expose its feature map");

    /// <summary>
    /// The stages in order, each as the modules it consists of. The stem (first convolutions) is stage 1,
    /// then one stage per resolution (ResNet: layer1..layer4; GoogLeNet, BN-Inception: inception 3, 4, 5).
    /// </summary>
    protected virtual IReadOnlyList<IReadOnlyList<nn.Module>> Stages() => [];

    /// <summary>Applies <paramref name="options"/>' freezing settings (called by the constructors of subclasses).</summary>
    protected void ApplyFreezing(BackboneOptions options)
    {
        if (options.FreezeBatchNormAffine && !options.FreezeBatchNormStatistics)
            throw new ArgumentException("freezing the BatchNorm scale and shift needs frozen BatchNorm statistics too", nameof(options));
        if (options.FreezeBatchNormStatistics)
            FreezeBatchNorm(options.FreezeBatchNormAffine);
        if (options.FrozenStages > 0)
            FreezeStages(options.FrozenStages);
    }

    /// <summary>
    /// Keeps every BatchNorm layer in eval mode, also after <c>train()</c>, so its running mean and variance
    /// stay as loaded and the batch is normalised with them; with <paramref name="affine"/> the scale and
    /// shift also stop receiving gradients.
    /// </summary>
    public void FreezeBatchNorm(bool affine = false)
    {
        BatchNormStatisticsFrozen = true;
        BatchNormAffineFrozen |= affine;
        if (affine)
            foreach (var bn in modules().OfType<BatchNorm2d>())
                foreach (var p in bn.parameters())
                    p.requires_grad = false;
        if (training)
            train(true);
    }

    /// <summary>Freezes the first <paramref name="count"/> stages: their parameters get no gradient and they stay in eval mode.</summary>
    public void FreezeStages(int count)
    {
        var stages = Stages();
        if (count < 0 || count > stages.Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{GetType().Name} has {stages.Count} stages");
        FrozenStages = Math.Max(FrozenStages, count);
        foreach (var stage in stages.Take(count))
            foreach (var module in stage)
                foreach (var p in module.parameters())
                    p.requires_grad = false;
        if (training)
            train(true);
    }

    /// <summary>Sets training or eval mode, keeping frozen BatchNorm layers and frozen stages in eval mode.</summary>
    public override void train(bool train = true)
    {
        base.train(train);
        if (!train)
            return;
        if (BatchNormStatisticsFrozen)
            foreach (var bn in modules().OfType<BatchNorm2d>())
                bn.eval();
        foreach (var stage in Stages().Take(FrozenStages))
            foreach (var module in stage)
                module.eval();
    }
}
