using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reference form of <see cref="LiftedStructureLoss"/> (per-query form, Hermans et al. 2017), in autograd on
/// S = Q·Kᵀ. Loss elements are the queries with a positive and a negative:
/// ℓ_i = max(0, log Σ_{p∈P_i} e^{−S_ip} + log Σ_{n∈N_i} e^{S_in} + m), and 0 for the other queries.
/// </summary>
public static class LiftedStructureReference
{
    /// <summary>The loss of <paramref name="queries"/> against <paramref name="keys"/>; <paramref name="ownKeys"/> as in <see cref="ReferencePairs.Create"/>.</summary>
    public static Tensor Loss(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys, LiftedStructureLossOptions options) =>
        ReferencePairs.Score(queries, queryLabels, keys, keyLabels, ownKeys, (s, pairs) => Loss(s, pairs, options));

    /// <summary>The loss on the similarities <paramref name="s"/> (with gradient) over <paramref name="pairs"/>.</summary>
    public static Tensor Loss(Tensor s, ReferencePairs pairs, LiftedStructureLossOptions options)
    {
        using var scope = NewDisposeScope();
        using var margin = options.Margin.ToScalar();
        var positiveTerm = s.neg().masked_fill(pairs.Positives.logical_not(), Scalars.NegativeInfinity).logsumexp(1);
        var negativeTerm = s.masked_fill(pairs.Negatives.logical_not(), Scalars.NegativeInfinity).logsumexp(1);
        var anchors = pairs.Positives.any(1).logical_and(pairs.Negatives.any(1));
        // Queries without a positive or a negative have −∞ here; where() keeps them at 0 and out of the gradient.
        var bracket = positiveTerm.add(negativeTerm, Scalars.One).add(margin, Scalars.One).relu();
        var losses = where(anchors, bracket, zeros_like(bracket));
        return ReducerReference.Reduce(losses, anchors, losses.detach().gt(Scalars.Zero), s.shape[0], options.Reduction).MoveToOuterDisposeScope();
    }
}
