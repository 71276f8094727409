using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Options of <see cref="LiftedStructureLoss"/>.</summary>
public sealed record LiftedStructureLossOptions
{
    /// <summary>The margin m (default 1).</summary>
    public double Margin { get; init; } = 1;

    /// <summary>How per-query values become the loss (default the sum over queries / B).</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// Lifted structure loss in its generalised per-query form (Hermans, Beyer and Leibe 2017, after Song et al.
/// 2016), written with similarities (distance D = −S):
/// ℓ_i = max(0, log Σ_{p∈P_i} e^{−S_ip} + log Σ_{n∈N_i} e^{S_in} + m), for queries with a positive and a negative.
/// </summary>
/// <remarks>
/// Song et al.'s original also mines the negatives of each positive key, which needs key-to-key similarities
/// that a memory does not provide; the per-query form needs only the query's row. Loss elements are queries.
/// Default reduction <c>sum_per_query</c> (Σ_i ℓ_i / B). The log-sum-exps grow like log |P_i| + log |N_i|, so
/// the memory loss grows logarithmically with the memory size and rarely reaches zero with many keys.
/// ∂ℓ_i/∂S is the softmax over the negatives (+) and over the negated positives (−) of an active query.
/// </remarks>
public sealed partial class LiftedStructureLoss : PairLoss
{
    /// <summary>Creates the loss.</summary>
    public LiftedStructureLoss(LiftedStructureLossOptions? options = null) : base((options ?? new LiftedStructureLossOptions()).Reduction)
    {
        Options = options ?? new LiftedStructureLossOptions();
    }

    /// <inheritdoc />
    public override string Name => "lifted_structure";

    /// <summary>The options in force.</summary>
    public LiftedStructureLossOptions Options { get; }

    /// <inheritdoc />
    protected override PairTerms Evaluate(Tensor similarities, PairMasks masks)
    {
        var s = similarities;
        var positives = masks.OnSide(s, PairSide.Positive);
        var negatives = masks.OnSide(s, PairSide.Negative);
        var hardestPositive = positives.amin(new long[] { 1 }, keepdim: true);
        var hardestNegative = negatives.amax(new long[] { 1 }, keepdim: true);
        var anchors = hardestPositive.isfinite().logical_and_(hardestNegative.isfinite());
        long anchorCount = PairMath.Count(anchors);
        if (anchorCount == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, 0, 0, 0, 0);

        // log Σ_P e^{−S} = −minP + log Σ_P e^{−(S − minP)};  log Σ_N e^{S} = maxN + log Σ_N e^{S − maxN}.
        var positiveShift = PairMath.FiniteOrZero(hardestPositive);
        var negativeShift = PairMath.FiniteOrZero(hardestNegative);
        var (positiveExp, positiveSum) = PairMath.FilledExp(positives, -1, positiveShift);
        var (negativeExp, negativeSum) = PairMath.FilledExp(negatives, 1, negativeShift.neg());
        using var margin = Options.Margin.ToScalar();
        var bracket = positiveSum.log().sub_(positiveShift).add_(negativeSum.log().add_(negativeShift, Scalars.One), Scalars.One)
            .add_(margin, Scalars.One).masked_fill_(anchors.logical_not(), Scalars.Zero).clamp_min_(Scalars.Zero);
        var active = bracket.gt(Scalars.Zero);
        long activeCount = PairMath.Count(active);
        if (activeCount == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, anchorCount, 0, 0, 0);

        // ∂ℓ/∂S: softmax over the negatives (+) and over the negated positives (−) of active queries.
        // (active/ΣN) ⊙ (e_N − (ΣN/ΣP) e_P): the row factor is applied after the product.
        using var floor = 1e-30.ToScalar();
        var negativeTotal = negativeSum.clamp_min(floor);
        var gradient = negativeExp.addcmul_(positiveExp, negativeTotal.div(positiveSum.clamp_min(floor)), Scalars.MinusOne);
        var rowScale = active.to(s.dtype).div_(negativeTotal);
        var (activePositives, activeNegatives) = masks.PairsOf(active.squeeze(1));
        return new PairTerms(bracket.sum(), gradient, anchorCount, activeCount, activePositives, activeNegatives, rowScale);
    }
}
