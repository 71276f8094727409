using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// A step at <see cref="Threshold"/>: negatives with S &gt; threshold and positives with S &lt; threshold get
/// <see cref="Value"/>, the easy ones 0 ("discard easy pairs"). The XBM contrastive loss uses step(0.5) on negatives.
/// </summary>
public sealed record StepWeight : IWeightCurve
{
    /// <summary>The threshold λ (default 0.5, the contrastive margin).</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>The weight of the kept pairs (default 1).</summary>
    public double Value { get; init; } = 1;

    /// <inheritdoc />
    public string Name => "step";

    /// <inheritdoc />
    public Tensor Weights(Tensor similarities, Tensor mask, PairSide side)
    {
        using var threshold = Threshold.ToScalar();
        using var value = Value.ToScalar();
        var hard = side == PairSide.Negative ? similarities.gt(threshold) : similarities.lt(threshold);
        var weights = hard.logical_and_(mask).to(similarities.dtype);
        return Value == 1 ? weights : weights.mul_(value);
    }
}
