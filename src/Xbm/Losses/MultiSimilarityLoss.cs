using Xbm.Miners;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Options of <see cref="MultiSimilarityLoss"/>.</summary>
public sealed record MultiSimilarityLossOptions
{
    /// <summary>Scale of the positive term, α (default 2).</summary>
    public double Alpha { get; init; } = 2;

    /// <summary>Scale of the negative term, β (default 40, the XBM reference code; the MS paper uses 50).</summary>
    public double Beta { get; init; } = 40;

    /// <summary>The similarity offset λ (default 0.5).</summary>
    public double Lambda { get; init; } = 0.5;

    /// <summary>The mining slack ε (default 0.1).</summary>
    public double Epsilon { get; init; } = 0.1;

    /// <summary>Apply the loss's own pair mining (default true); false keeps every valid pair.</summary>
    public bool Mining { get; init; } = true;

    /// <summary>How per-query values become the loss (default the sum over queries / B).</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// Multi-similarity loss (Wang et al. 2019) with its mining, per SPEC section 2. Per query i with kept positives
/// P̃_i and kept negatives Ñ_i (see <see cref="MultiSimilarityMiner"/>):
/// ℓ_i = (1/α) log(1 + Σ_{p∈P̃_i} e^{−α(S_ip − λ)}) + (1/β) log(1 + Σ_{n∈Ñ_i} e^{β(S_in − λ)}).
/// A query with no positive, no negative, or nothing kept on either side contributes 0 (never NaN). Positives
/// exclude the query's own copy through the ignore mask.
/// </summary>
/// <remarks>
/// Loss elements are queries. Default reduction <c>sum_per_query</c>: L = Σ_i ℓ_i / B. With memory each ℓ_i
/// grows like the logarithm of the number of kept pairs, so the memory loss grows slowly (logarithmically)
/// with the memory size. <c>mean</c> divides by the queries that have both positives and negatives,
/// <c>mean_nonzero</c> by those that kept pairs. ∂ℓ_i/∂S_ik is the normalised exponential weight of the pair.
/// </remarks>
public sealed class MultiSimilarityLoss : PairLoss
{
    /// <summary>Creates the loss.</summary>
    public MultiSimilarityLoss(MultiSimilarityLossOptions? options = null) : base((options ?? new MultiSimilarityLossOptions()).Reduction)
    {
        Options = options ?? new MultiSimilarityLossOptions();
    }

    /// <inheritdoc />
    public override string Name => "multi_similarity";

    /// <summary>The options in force.</summary>
    public MultiSimilarityLossOptions Options { get; }

    /// <inheritdoc />
    protected override PairTerms Evaluate(Tensor similarities, PairMasks masks)
    {
        var (keptPositives, keptNegatives) = Options.Mining
            ? MultiSimilarityMiner.Select(similarities, masks, Options.Epsilon)
            : (masks.Positives, masks.Negatives);
        var considered = masks.Positives.any(1).logical_and_(masks.Negatives.any(1));
        var active = keptPositives.any(1).logical_and_(keptNegatives.any(1)).unsqueeze(1);
        keptPositives = keptPositives.logical_and(active);
        keptNegatives = keptNegatives.logical_and(active);

        double alpha = Options.Alpha, beta = Options.Beta, lambda = Options.Lambda;
        var positiveExponent = similarities.sub(lambda).mul_(-alpha).masked_fill_(keptPositives.logical_not(), double.NegativeInfinity);
        var (positiveTerm, positiveWeights) = PairMath.LogOnePlusSumExp(positiveExponent);
        var negativeExponent = similarities.sub(lambda).mul_(beta).masked_fill_(keptNegatives.logical_not(), double.NegativeInfinity);
        var (negativeTerm, negativeWeights) = PairMath.LogOnePlusSumExp(negativeExponent);

        var sum = positiveTerm.sum().div_(alpha).add_(negativeTerm.sum().div_(beta));
        // ∂ℓ/∂S: −(normalised weight) on kept positives, +(normalised weight) on kept negatives.
        var gradient = negativeWeights.sub_(positiveWeights);
        long activeQueries = PairMath.Count(active);
        return new PairTerms(sum, activeQueries > 0 ? gradient : null, PairMath.Count(considered), activeQueries, keptPositives, keptNegatives);
    }
}
