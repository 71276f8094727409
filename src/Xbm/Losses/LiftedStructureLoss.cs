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
public sealed class LiftedStructureLoss : PairLoss
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
        var anchors = masks.Positives.any(1).logical_and_(masks.Negatives.any(1));
        var (positiveTerm, positiveSoftmax) = PairMath.LogSumExp(similarities.neg().masked_fill_(masks.Positives.logical_not(), double.NegativeInfinity));
        var (negativeTerm, negativeSoftmax) = PairMath.LogSumExp(similarities.masked_fill(masks.Negatives.logical_not(), double.NegativeInfinity));
        var bracket = positiveTerm.add(negativeTerm).add_(Options.Margin).masked_fill_(anchors.logical_not(), 0).clamp_min_(0);
        var active = bracket.gt(0).unsqueeze(1);
        var gradient = negativeSoftmax.sub_(positiveSoftmax).mul_(active);
        long nonZero = PairMath.Count(active);
        return new PairTerms(bracket.sum(), nonZero > 0 ? gradient : null, PairMath.Count(anchors), nonZero,
            masks.Positives.logical_and(active), masks.Negatives.logical_and(active));
    }
}
