using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reference form of <see cref="NPairLoss"/> (the losses "npair" and "infonce"), in autograd on S = Q·Kᵀ, with
/// temperature τ. Loss elements are the queries with a positive and a negative (0 for the others):
/// <list type="bullet">
/// <item>denominator <c>negatives</c> (N-pair): ℓ_i = (1/|P_i|) Σ_{p∈P_i} log(1 + Σ_{n∈N_i} e^{(S_in − S_ip)/τ});</item>
/// <item>denominator <c>all</c> (InfoNCE / SupCon L_out): ℓ_i = (1/|P_i|) Σ_{p∈P_i} −log( e^{S_ip/τ} / Σ_{a∈P_i∪N_i} e^{S_ia/τ} ).</item>
/// </list>
/// </summary>
public static class NPairReference
{
    /// <summary>The loss of <paramref name="queries"/> against <paramref name="keys"/>; <paramref name="ownKeys"/> as in <see cref="ReferencePairs.Create"/>.</summary>
    public static Tensor Loss(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys, NPairLossOptions options) =>
        ReferencePairs.Score(queries, queryLabels, keys, keyLabels, ownKeys, (s, pairs) => Loss(s, pairs, options));

    /// <summary>The loss on the similarities <paramref name="s"/> (with gradient) over <paramref name="pairs"/>.</summary>
    public static Tensor Loss(Tensor s, ReferencePairs pairs, NPairLossOptions options)
    {
        using var scope = NewDisposeScope();
        using var tau = options.Temperature.ToScalar();
        var logits = s.div(tau);
        var denominatorPairs = options.Denominator == NPairDenominator.All ? pairs.Valid : pairs.Negatives;
        var logDenominator = logits.masked_fill(denominatorPairs.logical_not(), Scalars.NegativeInfinity).logsumexp(1, keepdim: true);
        // Per pair (i, p): log(1 + Σ_N e^{(S_in − S_ip)/τ}) = log1p(e^{LSE_N − S_ip/τ}), or LSE_{P∪N} − S_ip/τ.
        var u = logDenominator.sub(logits);
        var perPositive = options.Denominator == NPairDenominator.All ? u : u.exp().log1p();
        var positiveCounts = pairs.Positives.sum(1).clamp_min(Scalars.One).to(s.dtype);
        var anchors = pairs.Positives.any(1).logical_and(pairs.Negatives.any(1));
        var mean = where(pairs.Positives, perPositive, zeros_like(s)).sum(1).div(positiveCounts);
        var losses = where(anchors, mean, zeros_like(mean));
        return ReducerReference.Reduce(losses, anchors, anchors, s.shape[0], options.Reduction).MoveToOuterDisposeScope();
    }
}
