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
public sealed class NPairLoss : PairLoss
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
        var positiveCounts = masks.PositivesPerQuery.unsqueeze(1);
        var anchors = positiveCounts.gt(0).logical_and_(masks.NegativesPerQuery.unsqueeze(1).gt(0));
        long anchorCount = PairMath.Count(anchors);
        if (anchorCount == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, 0, 0, 0, 0);
        // 1/|P_i| on anchors, 0 elsewhere: every per-row factor below is multiplied by it.
        var anchorWeight = anchors.to(s.dtype).div_(positiveCounts.clamp_min(1).to(s.dtype));

        Tensor perQuery, gradient, rowScale;
        if (Options.Denominator == NPairDenominator.All)
        {
            // ℓ_i = LSE_{a∈A_i}(S/τ) − mean_{p∈P_i} S_ip/τ;  ∂ℓ_i/∂S_ia = softmax_a/τ − [a∈P_i]/(τ|P_i|).
            var valid = masks.Valid(s);
            var shift = PairMath.FiniteOrZero(valid.amax(new long[] { 1 }, keepdim: true)).div_(tau);
            var (e, total) = PairMath.FilledExp(valid, 1 / tau, shift.neg());
            var lse = total.log().add_(shift);
            var positiveSum = where(masks.Positives, s, PairMath.Scalar(s, 0)).sum(1, keepdim: true);
            perQuery = PairMath.FiniteOrZero(lse).mul_(anchors).sub_(positiveSum.mul_(anchorWeight).div_(tau)).squeeze(1);
            // (anchor/(τΣ)) ⊙ (e − Σ·[a∈P]/|P|): the row factor is applied after the product.
            var totalFloor = total.clamp_min(1e-30);
            gradient = e.addcmul_(masks.Positives.to(s.dtype), totalFloor.mul(anchorWeight), -1);
            rowScale = anchors.to(s.dtype).div_(totalFloor.mul(tau));
        }
        else
        {
            // u_ip = LSE_{n∈N_i}(S/τ) − S_ip/τ;  ℓ_i = mean_p softplus(u_ip);
            // ∂/∂S_ip = −σ(u_ip)/(τ|P_i|);  ∂/∂S_in = (Σ_p σ(u_ip)/|P_i|) · softmax_n/τ.
            var negativeSimilarities = masks.OnSide(s, PairSide.Negative);
            var shift = PairMath.FiniteOrZero(negativeSimilarities.amax(new long[] { 1 }, keepdim: true)).div_(tau);
            var (e, total) = PairMath.FilledExp(negativeSimilarities, 1 / tau, shift.neg());
            var lse = PairMath.FiniteOrZero(total.log().add_(shift));
            var u = lse.add(s, -1 / tau);
            var zero = PairMath.Scalar(s, 0);
            perQuery = where(masks.Positives, nn.functional.softplus(u), zero).sum(1, keepdim: true).mul_(anchorWeight).squeeze(1);
            var sigma = where(masks.Positives, u.sigmoid_(), zero);
            var pull = sigma.sum(1, keepdim: true).mul_(anchorWeight);
            // (pull/(τΣ)) ⊙ (e − (Σ/(|P| pull)) σ): the row factor is applied after the product (pull > 0 on anchors).
            var totalFloor = total.clamp_min(1e-30);
            var pullFloor = pull.clamp_min(1e-30);
            gradient = e.addcmul_(sigma, totalFloor.mul(anchorWeight).div_(pullFloor), -1);
            rowScale = pull.div(totalFloor.mul(tau));
        }
        var anchorRows = anchors.squeeze(1);
        long positives = masks.PositivesPerQuery.masked_select(anchorRows).sum().item<long>();
        long negatives = masks.NegativesPerQuery.masked_select(anchorRows).sum().item<long>();
        return new PairTerms(perQuery.sum(), gradient, anchorCount, anchorCount, positives, negatives, rowScale);
    }
}
