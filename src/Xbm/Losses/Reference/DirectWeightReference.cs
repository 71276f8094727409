using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reference form of <see cref="DirectWeightLoss"/>, in autograd on S = Q·Kᵀ. Loss elements are the valid pairs:
/// ℓ_ik = [k∈P_i] w⁺(S_ik)(1 − S_ik) + [k∈N_i] w⁻(S_ik) S_ik with the weights of <see cref="WeightCurveReference"/>
/// evaluated on detached S (so ∂ℓ/∂S = −w⁺ on positives, +w⁻ on negatives), reduced over P ∪ N; with
/// <c>sum_per_query</c>, L = (1/B) Σ_i [ Σ_{k∈P_i} w⁺(S_ik)(1 − S_ik) + Σ_{k∈N_i} w⁻(S_ik) S_ik ].
/// </summary>
public static class DirectWeightReference
{
    /// <summary>The loss of <paramref name="queries"/> against <paramref name="keys"/>; <paramref name="ownKeys"/> as in <see cref="ReferencePairs.Create"/>.</summary>
    public static Tensor Loss(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys, DirectWeightLossOptions options) =>
        ReferencePairs.Score(queries, queryLabels, keys, keyLabels, ownKeys, (s, pairs) => Loss(s, pairs, options));

    /// <summary>The loss on the similarities <paramref name="s"/> (with gradient) over <paramref name="pairs"/>.</summary>
    public static Tensor Loss(Tensor s, ReferencePairs pairs, DirectWeightLossOptions options)
    {
        using var scope = NewDisposeScope();
        var positiveWeights = WeightCurveReference.Weights(options.Positive, s, pairs.Positives, PairSide.Positive);
        var negativeWeights = WeightCurveReference.Weights(options.Negative, s, pairs.Negatives, PairSide.Negative);
        var losses = positiveWeights.mul(ones_like(s).sub(s)).add(negativeWeights.mul(s), Scalars.One);
        var weighted = positiveWeights.ne(Scalars.Zero).logical_or(negativeWeights.ne(Scalars.Zero));
        return ReducerReference.Reduce(losses, pairs.Valid, weighted, s.shape[0], options.Reduction).MoveToOuterDisposeScope();
    }
}
