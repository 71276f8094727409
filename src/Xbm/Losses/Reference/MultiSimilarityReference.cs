using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reference form of <see cref="MultiSimilarityLoss"/> (Wang et al. 2019), in autograd on S = Q·Kᵀ. Loss elements
/// are the queries. With mining (slack ε: the loss composed with <see cref="Miners.MultiSimilarityMiner"/>, as
/// <c>loss: multi_similarity</c> builds it; <see cref="MultiSimilarityMinerReference"/>, on detached S) the kept pairs are
/// P̃_i = {p∈P_i : S_ip − ε &lt; max_{n∈N_i} S_in} and Ñ_i = {n∈N_i : S_in + ε &gt; min_{p∈P_i} S_ip}; without it
/// P̃_i = P_i, Ñ_i = N_i. Then
/// ℓ_i = (1/α) log(1 + Σ_{p∈P̃_i} e^{−α(S_ip − λ)}) + (1/β) log(1 + Σ_{n∈Ñ_i} e^{β(S_in − λ)}) when both P̃_i and Ñ_i
/// are non-empty, else 0. The considered elements are the queries with a positive and a negative.
/// </summary>
public static class MultiSimilarityReference
{
    /// <summary>The loss of <paramref name="queries"/> against <paramref name="keys"/>; <paramref name="ownKeys"/> as in <see cref="ReferencePairs.Create"/>; <paramref name="miningEpsilon"/> is the mining slack ε, or null for no mining.</summary>
    public static Tensor Loss(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys, MultiSimilarityLossOptions options,
        double? miningEpsilon) =>
        ReferencePairs.Score(queries, queryLabels, keys, keyLabels, ownKeys, (s, pairs) => Loss(s, pairs, options, miningEpsilon));

    /// <summary>The loss on the similarities <paramref name="s"/> (with gradient) over <paramref name="pairs"/>, mined with slack <paramref name="miningEpsilon"/> (null: not mined).</summary>
    public static Tensor Loss(Tensor s, ReferencePairs pairs, MultiSimilarityLossOptions options, double? miningEpsilon)
    {
        using var scope = NewDisposeScope();
        var kept = miningEpsilon is double epsilon ? pairs.Restrict(MultiSimilarityMinerReference.Select(s, pairs, epsilon)) : pairs;
        using var alpha = options.Alpha.ToScalar();
        using var beta = options.Beta.ToScalar();
        using var lambda = options.Lambda.ToScalar();
        // (1/a) log(1 + Σ_{A_i} e^{x}) = (1/a) log1p(e^{logsumexp_{A_i} x}), which is 0 for an empty A_i.
        Tensor Term(Tensor x, Tensor side, Scalar a) =>
            x.masked_fill(side.logical_not(), Scalars.NegativeInfinity).logsumexp(1).exp().log1p().div(a);
        var positiveTerm = Term(s.sub(lambda).mul(alpha).neg(), kept.Positives, alpha);
        var negativeTerm = Term(s.sub(lambda).mul(beta), kept.Negatives, beta);
        var active = kept.Positives.any(1).logical_and(kept.Negatives.any(1));
        var losses = where(active, positiveTerm.add(negativeTerm, Scalars.One), zeros_like(positiveTerm));
        var considered = pairs.Positives.any(1).logical_and(pairs.Negatives.any(1));
        return ReducerReference.Reduce(losses, considered, active, s.shape[0], options.Reduction).MoveToOuterDisposeScope();
    }
}
