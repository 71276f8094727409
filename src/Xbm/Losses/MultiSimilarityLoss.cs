using TorchSharp;
using Xbm.Runtime;
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

    /// <summary>How per-query values become the loss (default the sum over queries / B).</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// Multi-similarity loss (Wang et al. 2019), per docs/design.md §2. Per query i with positives P_i and negatives N_i:
/// ℓ_i = (1/α) log(1 + Σ_{p∈P_i} e^{−α(S_ip − λ)}) + (1/β) log(1 + Σ_{n∈N_i} e^{β(S_in − λ)}).
/// The paper's mining is <see cref="Miners.MultiSimilarityMiner"/>: <c>loss: {name: multi_similarity}</c> (with the
/// default <c>mining: true</c>) is this loss in a <see cref="MinedPairLoss"/> with that miner, as in
/// pytorch-metric-learning. A query with no positive or no negative contributes 0 (never NaN). Positives exclude the
/// query's own copy (its own key, see <see cref="IPairLoss.Compute"/>).
/// </summary>
/// <remarks>
/// Loss elements are queries with a positive and a negative among the pairs a miner chose from (its candidates,
/// <see cref="PairMasks.Candidates"/>: the valid pairs for the multi-similarity miner alone), or among the pairs
/// given without a miner. Default reduction <c>sum_per_query</c>: L = Σ_i ℓ_i / B. With memory each ℓ_i
/// grows like the logarithm of the number of kept pairs, so the memory loss grows slowly (logarithmically)
/// with the memory size. <c>mean</c> divides by the queries that have both positives and negatives,
/// <c>mean_nonzero</c> by those that kept pairs. ∂ℓ_i/∂S_ik is the normalised exponential weight of the pair.
/// </remarks>
public sealed partial class MultiSimilarityLoss : PairLoss
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
        var s = similarities;
        double alpha = Options.Alpha, beta = Options.Beta, lambda = Options.Lambda;
        using var alphaScalar = alpha.ToScalar();
        using var minusAlpha = (-alpha).ToScalar();
        using var betaScalar = beta.ToScalar();
        using var lambdaScalar = lambda.ToScalar();
        using var alphaLambda = (alpha * lambda).ToScalar();
        using var betaLambda = (beta * lambda).ToScalar();
        // The positives' similarities with +∞ elsewhere and the negatives' with −∞ elsewhere.
        var positives = masks.OnSide(s, PairSide.Positive);
        var negatives = masks.OnSide(s, PairSide.Negative);
        var hardestPositive = positives.amin(new long[] { 1 }, keepdim: true);   // +∞ without positives
        var hardestNegative = negatives.amax(new long[] { 1 }, keepdim: true);   // −∞ without negatives
        var active = hardestPositive.isfinite().logical_and_(hardestNegative.isfinite());
        var inactive = active.logical_not();
        positives.masked_fill_(inactive, Scalars.PositiveInfinity);
        negatives.masked_fill_(inactive, Scalars.NegativeInfinity);
        long activeQueries = PairMath.Count(active);
        long consideredQueries = masks.Candidates is { } candidates ? candidates.QueriesWithBothSides() : activeQueries;
        if (activeQueries == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, consideredQueries, 0, 0, 0);

        // Exponents x⁺ = −α(S − λ), x⁻ = β(S − λ), each row shifted by max(0, its largest exponent), which the
        // hardest pair attains.
        var positiveShift = PairMath.FiniteOrZero(hardestPositive.sub(lambdaScalar).mul_(minusAlpha)).clamp_min_(Scalars.Zero);
        var negativeShift = PairMath.FiniteOrZero(hardestNegative.sub(lambdaScalar).mul_(betaScalar)).clamp_min_(Scalars.Zero);
        var (positiveExp, positiveSum) = PairMath.FilledExp(positives, -alpha, positiveShift.neg().add_(alphaLambda, Scalars.One));
        var (negativeExp, negativeSum) = PairMath.FilledExp(negatives, beta, negativeShift.neg().sub_(betaLambda));
        // 1 + Σ e^x = e^{shift} (e^{−shift} + Σ e^{x − shift}).
        var positiveDenominator = positiveSum.add_(positiveShift.neg().exp(), Scalars.One);
        var negativeDenominator = negativeSum.add_(negativeShift.neg().exp(), Scalars.One);
        var perQuery = positiveDenominator.log().add_(positiveShift, Scalars.One).div_(alphaScalar)
            .add_(negativeDenominator.log().add_(negativeShift, Scalars.One).div_(betaScalar), Scalars.One)
            .squeeze(1).masked_fill_(active.logical_not().squeeze(1), Scalars.Zero);
        long keptPositives = PairMath.Count(positiveExp), keptNegatives = PairMath.Count(negativeExp);

        // ∂ℓ/∂S = +e^{x⁻}/(1 + Σ e^{x⁻}) on kept negatives, −e^{x⁺}/(1 + Σ e^{x⁺}) on kept positives, written as
        // (1/D⁻) ⊙ (e^{x⁻} − (D⁻/D⁺) e^{x⁺}) so that the row factor 1/D⁻ is applied after the product.
        var gradient = negativeExp.addcmul_(positiveExp, negativeDenominator.div(positiveDenominator), Scalars.MinusOne);
        return new PairTerms(perQuery.sum(), gradient, consideredQueries, activeQueries,
            keptPositives, keptNegatives, negativeDenominator.reciprocal());
    }
}
