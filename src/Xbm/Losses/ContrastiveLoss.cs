using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Options of <see cref="ContrastiveLoss"/>.</summary>
public sealed record ContrastiveLossOptions
{
    /// <summary>Negatives with similarity above this margin contribute S (m = 0.5 in the XBM paper).</summary>
    public double Margin { get; init; } = 0.5;

    /// <summary>When set, only positives with similarity below it contribute 1 − S; null = every positive.</summary>
    public double? PositiveMargin { get; init; }

    /// <summary>How per-pair values become the loss; the paper sums over pairs and divides by B.</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// The XBM paper's contrastive loss on cosine similarities:
/// L = (1/B) Σ_i [ Σ_{k∈P_i} (1 − S_ik) + Σ_{k∈N_i, S_ik &gt; m} S_ik ] with the default reducer.
/// </summary>
/// <remarks>
/// Loss elements are pairs. Default reduction <c>sum_per_query</c> (the paper's): the memory loss is a sum over
/// every positive and every hard negative in the memory divided by B, so it grows linearly with the memory size
/// (a memory of M keys gives roughly M/B times the pairs of the batch loss). <c>mean</c> divides by the number of
/// valid pairs instead and <c>mean_nonzero</c> by the number of contributing pairs; both are independent of M.
/// The loss is linear in S, so ∂L/∂S is the mask (−1 on contributing positives, +1 on hard negatives) and the
/// backward pass is one mask-weighted product.
/// </remarks>
public sealed partial class ContrastiveLoss : PairLoss
{
    /// <summary>Creates the loss.</summary>
    public ContrastiveLoss(ContrastiveLossOptions? options = null) : base((options ?? new ContrastiveLossOptions()).Reduction)
    {
        Options = options ?? new ContrastiveLossOptions();
    }

    /// <inheritdoc />
    public override string Name => "contrastive";

    /// <summary>The options in force.</summary>
    public ContrastiveLossOptions Options { get; }

    // w⁺ = 1 on positives (below the positive margin when set), w⁻ = 1 on negatives above the margin.
    private ContrastiveWeights Weights => new(1, Options.PositiveMargin, 1, Options.Margin);

    /// <inheritdoc />
    protected override PairTerms Evaluate(Tensor similarities, PairMasks masks) => Evaluate(similarities, masks, Weights);

    /// <summary>
    /// The loss Σ_{P, S &lt; positive margin} w⁺ (1 − S) + Σ_{N, S &gt; margin} w⁻ S with constant weights
    /// <paramref name="weights"/>: the contrastive loss, and direct weight assignment with constant w⁺ and step w⁻.
    /// </summary>
    internal static PairTerms Evaluate(Tensor similarities, PairMasks masks, ContrastiveWeights weights)
    {
        var s = similarities;
        // ∂/∂S: −w⁺ on contributing positives, +w⁻ on hard negatives, 0 elsewhere, built in one pass.
        using var margin = weights.Margin.ToScalar();
        using var negativeWeight = weights.Negative.ToScalar();
        using var hard = s.gt(margin);
        using var negativeValue = weights.Negative == 1 ? hard.alias() : hard.to(s.dtype).mul_(negativeWeight);
        using var positiveMargin = (weights.PositiveMargin ?? 0).ToScalar();
        using var positiveValue = weights.PositiveMargin is not null
            ? where(s.lt(positiveMargin), PairMath.Scalar(s, -weights.Positive), PairMath.Scalar(s, 0))
            : PairMath.Scalar(s, -weights.Positive);
        var gradient = masks.Signed(positiveValue, negativeValue, s.dtype);
        long positives = weights.Positive == 0 ? 0
            : weights.PositiveMargin is null ? masks.PositiveCount : PairMath.Count(gradient.lt(Scalars.Zero));
        long negatives = weights.Negative == 0 ? 0 : PairMath.Count(gradient) - positives;
        // Σ_P w⁺(1 − S) + Σ_N w⁻ S = w⁺|P| + Σ G ⊙ S: linear in S, the second term comes from the backward product.
        return new PairTerms(PairMath.Scalar(s, weights.Positive * positives), positives + negatives > 0 ? gradient : null,
            masks.PositiveCount + masks.NegativeCount, positives + negatives, positives, negatives, Linear: true);
    }
}
