using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// A ramp: w = <see cref="Slope"/> · max(0, S − threshold) for negatives and
/// <see cref="Slope"/> · max(0, threshold − S) for positives (harder pairs weigh more, linearly).
/// </summary>
public sealed record LinearWeight : IWeightCurve
{
    /// <summary>Where the ramp starts (default 0.5).</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>The slope (default 1).</summary>
    public double Slope { get; init; } = 1;

    /// <inheritdoc />
    public string Name => "linear";

    /// <inheritdoc />
    public Tensor Weights(Tensor similarities, Tensor mask, PairSide side)
    {
        var ramp = side == PairSide.Negative ? similarities.sub(Threshold) : similarities.neg().add_(Threshold);
        return ramp.clamp_min_(0).mul_(Slope).masked_fill_(mask.logical_not(), 0);
    }
}
