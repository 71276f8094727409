using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// Exponential weights in the style of the multi-similarity / binomial-deviance losses. With hardness h = S for
/// negatives and h = −S for positives, x_ik = scale · (h_ik − h(threshold)); the weight is
/// exp(x_ik) / (1 + Σ_{k' of the same side} exp(x_ik')) when <see cref="Normalize"/> (the multi-similarity
/// gradient weights: β = 40 for negatives, α = 2 for positives), else exp(min(x_ik, 80)).
/// </summary>
public sealed record ExponentialWeight : IWeightCurve
{
    /// <summary>The scale (β for negatives, α for positives).</summary>
    public double Scale { get; init; } = 40;

    /// <summary>The similarity where x = 0 (λ, default 0.5).</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Divide by 1 + the row sum over the side's pairs (default true).</summary>
    public bool Normalize { get; init; } = true;

    /// <inheritdoc />
    public string Name => "exponential";

    /// <inheritdoc />
    public Tensor Weights(Tensor similarities, Tensor mask, PairSide side)
    {
        double scale = side == PairSide.Negative ? Scale : -Scale;
        using var scaleScalar = scale.ToScalar();
        using var threshold = Threshold.ToScalar();
        using var shiftedThreshold = (scale * Threshold).ToScalar();
        if (!Normalize)
        {
            using var ceiling = 80.ToScalar();
            var x = PairMath.Scalar(similarities, -scale * Threshold).add(similarities, scaleScalar).clamp_max_(ceiling).exp_();
            return where(mask, x, PairMath.Scalar(similarities, 0));
        }
        // Shift each row by max(0, max_k x_ik): the hardest pair of the side has the largest exponent.
        var hardest = side == PairSide.Negative ? PairMath.RowMax(similarities, mask) : PairMath.RowMin(similarities, mask);
        var shift = PairMath.FiniteOrZero(hardest.sub(threshold).mul_(scaleScalar)).clamp_min_(Scalars.Zero);
        var (e, rowSum) = PairMath.MaskedExp(similarities, mask, scale, shift.neg().sub_(shiftedThreshold));
        // w = e^{x − shift} / (e^{−shift} + Σ e^{x − shift}).
        return e.div_(rowSum.add_(shift.neg().exp_(), Scalars.One));
    }
}
