using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reference form of <see cref="ContrastiveLoss"/>, in autograd on S = Q·Kᵀ. Loss elements are the valid pairs:
/// ℓ_ik = [k∈P_i ∧ S_ik &lt; m⁺](1 − S_ik) + [k∈N_i ∧ S_ik &gt; m] S_ik (m⁺ = +∞ without a positive margin), reduced
/// over P ∪ N; with <c>sum_per_query</c>, L = (1/B) Σ_i [ Σ_{k∈P_i, S_ik &lt; m⁺} (1 − S_ik) + Σ_{k∈N_i, S_ik &gt; m} S_ik ].
/// </summary>
public static class ContrastiveReference
{
    /// <summary>The loss of <paramref name="queries"/> against <paramref name="keys"/>; <paramref name="ownKeys"/> as in <see cref="ReferencePairs.Create"/>.</summary>
    public static Tensor Loss(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys, ContrastiveLossOptions options) =>
        ReferencePairs.Score(queries, queryLabels, keys, keyLabels, ownKeys, (s, pairs) => Loss(s, pairs, options));

    /// <summary>The loss on the similarities <paramref name="s"/> (with gradient) over <paramref name="pairs"/>.</summary>
    public static Tensor Loss(Tensor s, ReferencePairs pairs, ContrastiveLossOptions options)
    {
        using var scope = NewDisposeScope();
        using var margin = options.Margin.ToScalar();
        using var positiveMargin = (options.PositiveMargin ?? double.PositiveInfinity).ToScalar();
        var pulled = pairs.Positives.logical_and(s.detach().lt(positiveMargin));
        var pushed = pairs.Negatives.logical_and(s.detach().gt(margin));
        var zero = zeros_like(s);
        var losses = where(pulled, ones_like(s).sub(s), zero).add(where(pushed, s, zero), Scalars.One);
        return ReducerReference.Reduce(losses, pairs.Valid, pulled.logical_or(pushed), s.shape[0], options.Reduction).MoveToOuterDisposeScope();
    }
}
