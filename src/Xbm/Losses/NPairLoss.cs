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
        double tau = Options.Temperature;
        var anchors = masks.Positives.any(1).logical_and_(masks.Negatives.any(1)).unsqueeze(1);
        var positives = masks.Positives.logical_and(anchors);
        var negatives = masks.Negatives.logical_and(anchors);
        var positiveCount = positives.to(similarities.dtype).sum(1, keepdim: true).clamp_min_(1);
        var scaled = similarities.div(tau);
        var isPositive = positives.to(similarities.dtype);

        Tensor perQuery, gradient;
        if (Options.Denominator == NPairDenominator.All)
        {
            // ℓ_i = LSE_{a∈A_i}(S/τ) − mean_{p∈P_i} S_ip/τ;  ∂ℓ_i/∂S_ia = softmax_a/τ − [a∈P_i]/(τ|P_i|).
            var (lse, softmax) = PairMath.LogSumExp(scaled.masked_fill(positives.logical_or(negatives).logical_not(), double.NegativeInfinity));
            var meanPositive = scaled.mul(isPositive).sum(1, keepdim: true).div_(positiveCount).squeeze(1);
            perQuery = lse.sub(meanPositive).masked_fill_(anchors.squeeze(1).logical_not(), 0);
            gradient = softmax.sub_(isPositive.div(positiveCount)).div_(tau);
        }
        else
        {
            // u_ip = LSE_{n∈N_i}(S/τ) − S_ip/τ;  ℓ_i = mean_p softplus(u_ip);
            // ∂/∂S_ip = −σ(u_ip)/(τ|P_i|);  ∂/∂S_in = (Σ_p σ(u_ip)/|P_i|) · softmax_n/τ.
            var (lse, softmax) = PairMath.LogSumExp(scaled.masked_fill(negatives.logical_not(), double.NegativeInfinity));
            var lseFinite = lse.masked_fill(anchors.squeeze(1).logical_not(), 0).unsqueeze(1);
            var u = lseFinite.sub(scaled);
            var perPair = PairMath.Softplus(u).mul_(isPositive);
            perQuery = perPair.sum(1, keepdim: true).div_(positiveCount).squeeze(1);
            var sigma = u.sigmoid_().mul_(isPositive).div_(positiveCount);
            var pull = sigma.sum(1, keepdim: true);
            gradient = softmax.mul_(pull).sub_(sigma).div_(tau);
        }
        long anchorCount = PairMath.Count(anchors);
        return new PairTerms(perQuery.sum(), anchorCount > 0 ? gradient : null, anchorCount, anchorCount, positives, negatives);
    }
}
