using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Options of <see cref="DirectWeightLoss"/>.</summary>
public sealed record DirectWeightLossOptions
{
    /// <summary>The positive weight curve w⁺ (default constant 1).</summary>
    public IWeightCurve Positive { get; init; } = new ConstantWeight();

    /// <summary>The negative weight curve w⁻ (default step at 0.5: the contrastive loss).</summary>
    public IWeightCurve Negative { get; init; } = new StepWeight();

    /// <summary>How per-pair values become the loss (default the paper's sum over pairs / B).</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// Direct weight assignment ("Rethinking Deep Contrastive Learning with Embedding Memory", docs/design.md §2):
/// L = (1/B) Σ_i [ Σ_{k∈P_i} w⁺(S_ik)·(1 − S_ik) + Σ_{k∈N_i} w⁻(S_ik)·S_ik ], with w⁺ and w⁻ evaluated on
/// detached similarities, so ∂L/∂S_ik = −w⁺(S_ik) on positives and +w⁻(S_ik) on negatives.
/// </summary>
/// <remarks>
/// docs/design.md writes the positive term as −w⁺(S)·S; we write w⁺(S)·(1 − S), which differs only by the constant
/// Σ w⁺ (the weights carry no gradient), so the gradients are identical, per-pair values stay non-negative
/// and the XBM contrastive loss is exactly the case w⁺ = 1, w⁻ = step(0.5), value and gradient.
/// Loss elements are pairs; default reduction <c>sum_per_query</c>, so as for the contrastive loss the memory
/// loss grows with the number of pairs that get a non-zero weight (linearly in the memory size for constant,
/// step and linear curves; bounded by k per query for top-k; the normalised exponential weights sum to less
/// than 1 per query and side).
/// </remarks>
public sealed partial class DirectWeightLoss : PairLoss
{
    /// <summary>Creates the loss.</summary>
    public DirectWeightLoss(DirectWeightLossOptions? options = null) : base((options ?? new DirectWeightLossOptions()).Reduction)
    {
        Options = options ?? new DirectWeightLossOptions();
    }

    /// <inheritdoc />
    public override string Name => "weighted";

    /// <summary>The options in force.</summary>
    public DirectWeightLossOptions Options { get; }

    // The common case, constant w⁺ and step w⁻ (the contrastive loss and its variants), is the contrastive loss's
    // kernel with these weights, in both forms.
    private ContrastiveWeights? ContrastiveCase => Options.Positive is ConstantWeight constant && Options.Negative is StepWeight step
        ? new ContrastiveWeights(constant.Value, null, step.Value, step.Threshold)
        : null;

    /// <inheritdoc />
    protected override PairTerms Evaluate(Tensor similarities, PairMasks masks)
    {
        if (ContrastiveCase is { } weights)
            return ContrastiveLoss.Evaluate(similarities, masks, weights);
        var positiveWeights = Options.Positive.Weights(similarities, masks.Positives, PairSide.Positive);
        var negativeWeights = Options.Negative.Weights(similarities, masks.Negatives, PairSide.Negative);
        long positives = PairMath.Count(positiveWeights);
        long negatives = PairMath.Count(negativeWeights);

        var positiveWeightSum = positiveWeights.sum();
        // The masks are disjoint, so G = w⁻ − w⁺ holds +w⁻ on negatives and −w⁺ on positives.
        var gradient = negativeWeights.sub_(positiveWeights);
        // Σ_P w⁺(1 − S) + Σ_N w⁻ S = Σ w⁺ + Σ G ⊙ S: linear in S, the second term comes from the backward product.
        return new PairTerms(positiveWeightSum, positives + negatives > 0 ? gradient : null, masks.PositiveCount + masks.NegativeCount,
            positives + negatives, positives, negatives, Linear: true);
    }
}
