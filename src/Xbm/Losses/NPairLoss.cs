using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>What the denominator of <see cref="NPairLoss"/> holds.</summary>
public enum NPairDenominator
{
    /// <summary>Each positive against the negatives only (N-pair, Sohn 2016, averaged over the positives).</summary>
    Negatives,

    /// <summary>Each positive against all valid keys, positives included (InfoNCE / SupCon "L_out", Khosla et al. 2020).</summary>
    All,
}

/// <summary>Options of <see cref="NPairLoss"/>.</summary>
public sealed record NPairLossOptions
{
    /// <summary>The temperature τ (default 0.1).</summary>
    public double Temperature { get; init; } = 0.1;

    /// <summary>What the softmax denominator holds (default negatives only).</summary>
    public NPairDenominator Denominator { get; init; } = NPairDenominator.Negatives;

    /// <summary>How per-query values become the loss (default the sum over queries / B).</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// Supervised N-pair / InfoNCE loss with temperature τ, handling several positives per query by averaging over
/// them. For a query i with positives P_i and negatives N_i (both non-empty; otherwise ℓ_i = 0):
/// <list type="bullet">
/// <item><c>negatives</c> (N-pair): ℓ_i = (1/|P_i|) Σ_{p∈P_i} log(1 + Σ_{n∈N_i} e^{(S_in − S_ip)/τ}).</item>
/// <item><c>all</c> (InfoNCE/SupCon): ℓ_i = (1/|P_i|) Σ_{p∈P_i} −log( e^{S_ip/τ} / Σ_{a∈P_i∪N_i} e^{S_ia/τ} ).</item>
/// </list>
/// </summary>
/// <remarks>
/// Loss elements are queries. Default reduction <c>sum_per_query</c> (Σ_i ℓ_i / B). The memory loss grows like
/// the logarithm of the number of keys (the softmax denominator), not linearly.
/// </remarks>
public sealed partial class NPairLoss : PairLoss
{
    /// <summary>Creates the loss; <paramref name="name"/> is the registry name it answers to.</summary>
    public NPairLoss(NPairLossOptions? options = null, string name = "npair") : base((options ?? new NPairLossOptions()).Reduction)
    {
        Options = options ?? new NPairLossOptions();
        Name = name;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The options in force.</summary>
    public NPairLossOptions Options { get; }

    /// <inheritdoc />
    protected override PairTerms Evaluate(Tensor similarities, PairMasks masks)
    {
        var s = similarities;
        double tau = Options.Temperature;
        using var tauScalar = tau.ToScalar();
        using var floor = 1e-30.ToScalar();
        var positiveCounts = masks.PositivesPerQuery.unsqueeze(1);
        var anchors = positiveCounts.gt(Scalars.Zero).logical_and_(masks.NegativesPerQuery.unsqueeze(1).gt(Scalars.Zero));
        long anchorCount = PairMath.Count(anchors);
        if (anchorCount == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, 0, 0, 0, 0);
        // 1/|P_i| on anchors, 0 elsewhere: every per-row factor below is multiplied by it.
        var anchorWeight = anchors.to(s.dtype).div_(positiveCounts.clamp_min(Scalars.One).to(s.dtype));

        Tensor perQuery, gradient, rowScale;
        if (Options.Denominator == NPairDenominator.All)
        {
            // ℓ_i = LSE_{a∈A_i}(S/τ) − mean_{p∈P_i} S_ip/τ;  ∂ℓ_i/∂S_ia = softmax_a/τ − [a∈P_i]/(τ|P_i|).
            var valid = masks.Valid(s);
            var shift = PairMath.FiniteOrZero(valid.amax(new long[] { 1 }, keepdim: true)).div_(tauScalar);
            var (e, total) = PairMath.FilledExp(valid, 1 / tau, shift.neg());
            var lse = total.log().add_(shift, Scalars.One);
            var positiveSum = where(masks.Positives, s, PairMath.Scalar(s, 0)).sum(1, keepdim: true);
            perQuery = PairMath.FiniteOrZero(lse).mul_(anchors).sub_(positiveSum.mul_(anchorWeight).div_(tauScalar)).squeeze(1);
            // (anchor/(τΣ)) ⊙ (e − Σ·[a∈P]/|P|): the row factor is applied after the product.
            var totalFloor = total.clamp_min(floor);
            gradient = e.addcmul_(masks.Positives.to(s.dtype), totalFloor.mul(anchorWeight), Scalars.MinusOne);
            rowScale = anchors.to(s.dtype).div_(totalFloor.mul(tauScalar));
        }
        else
        {
            // u_ip = LSE_{n∈N_i}(S/τ) − S_ip/τ;  ℓ_i = mean_p softplus(u_ip);
            // ∂/∂S_ip = −σ(u_ip)/(τ|P_i|);  ∂/∂S_in = (Σ_p σ(u_ip)/|P_i|) · softmax_n/τ.
            var negativeSimilarities = masks.OnSide(s, PairSide.Negative);
            var shift = PairMath.FiniteOrZero(negativeSimilarities.amax(new long[] { 1 }, keepdim: true)).div_(tauScalar);
            var (e, total) = PairMath.FilledExp(negativeSimilarities, 1 / tau, shift.neg());
            var lse = PairMath.FiniteOrZero(total.log().add_(shift, Scalars.One));
            using var minusInverseTau = (-1 / tau).ToScalar();
            var u = lse.add(s, minusInverseTau);
            var zero = PairMath.Scalar(s, 0);
            perQuery = where(masks.Positives, Softplus(u), zero).sum(1, keepdim: true).mul_(anchorWeight).squeeze(1);
            var sigma = where(masks.Positives, u.sigmoid_(), zero);
            var pull = sigma.sum(1, keepdim: true).mul_(anchorWeight);
            // (pull/(τΣ)) ⊙ (e − (Σ/(|P| pull)) σ): the row factor is applied after the product (pull > 0 on anchors).
            var totalFloor = total.clamp_min(floor);
            var pullFloor = pull.clamp_min(floor);
            gradient = e.addcmul_(sigma, totalFloor.mul(anchorWeight).div_(pullFloor), Scalars.MinusOne);
            rowScale = pull.div(totalFloor.mul(tauScalar));
        }
        var (positives, negatives) = masks.PairsOf(anchors.squeeze(1));
        return new PairTerms(perQuery.sum(), gradient, anchorCount, anchorCount, positives, negatives, rowScale);
    }

    /// <summary>
    /// softplus(x) = log(1 + eˣ), x itself above 20 (PyTorch's threshold). TorchSharp's softplus passes its beta and
    /// threshold as temporary Scalars (see <see cref="Scalars"/>), so it is written with plain ops here.
    /// </summary>
    private static Tensor Softplus(Tensor x)
    {
        using var threshold = 20.ToScalar();
        using var large = x.gt(threshold);
        using var small = x.exp().log1p_();
        return where(large, x, small);
    }
}
