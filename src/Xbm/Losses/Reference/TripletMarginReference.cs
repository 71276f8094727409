using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reference form of <see cref="TripletMarginLoss"/>, in autograd on S = Q·Kᵀ; each triplet (i, p, n) with
/// p∈P_i, n∈N_i costs max(0, S_in − S_ip + m) (no gradient at 0: a triplet exactly on the margin does not contribute).
/// <list type="bullet">
/// <item>batch-hard: one element per query with a positive and a negative, max(0, max_{n∈N_i} S_in − min_{p∈P_i} S_ip + m);</item>
/// <item>all: the elements are every triplet (i, p, n);</item>
/// <item>semi-hard: the elements are the triplets with S_ip − m &lt; S_in &lt; S_ip (each has a positive loss).</item>
/// </list>
/// The considered elements are those listed; the triplets are enumerated as a B×M×M tensor (a reference, not for large M).
/// </summary>
public static class TripletMarginReference
{
    /// <summary>The loss of <paramref name="queries"/> against <paramref name="keys"/>; <paramref name="ownKeys"/> as in <see cref="ReferencePairs.Create"/>.</summary>
    public static Tensor Loss(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys, TripletMarginLossOptions options) =>
        ReferencePairs.Score(queries, queryLabels, keys, keyLabels, ownKeys, (s, pairs) => Loss(s, pairs, options));

    /// <summary>The loss on the similarities <paramref name="s"/> (with gradient) over <paramref name="pairs"/>.</summary>
    public static Tensor Loss(Tensor s, ReferencePairs pairs, TripletMarginLossOptions options)
    {
        using var scope = NewDisposeScope();
        using var margin = options.Margin.ToScalar();
        Tensor losses, considered;
        if (options.Strategy == TripletStrategy.BatchHard)
        {
            considered = pairs.Positives.any(1).logical_and(pairs.Negatives.any(1));
            if (s.shape[1] == 0)
            {
                losses = s.sum(1);  // no keys: no anchor
            }
            else
            {
                var (hardestPositive, _) = s.masked_fill(pairs.Positives.logical_not(), Scalars.PositiveInfinity).min(1);
                var (hardestNegative, _) = s.masked_fill(pairs.Negatives.logical_not(), Scalars.NegativeInfinity).max(1);
                var hinge = hardestNegative.sub(hardestPositive).add(margin, Scalars.One).relu();
                losses = where(considered, hinge, zeros_like(hinge));
            }
        }
        else
        {
            // d[i, p, n] = S_in − S_ip + m over the B×M×M triplets of valid (positive, negative) pairs.
            var sPositive = s.unsqueeze(2);
            var sNegative = s.unsqueeze(1);
            var triplets = pairs.Positives.unsqueeze(2).logical_and(pairs.Negatives.unsqueeze(1));
            var d = sNegative.sub(sPositive).add(margin, Scalars.One);
            if (options.Strategy == TripletStrategy.SemiHard)
            {
                var sp = sPositive.detach();
                var sn = sNegative.detach();
                considered = triplets.logical_and(sn.lt(sp)).logical_and(sn.gt(sp.sub(margin)));
                losses = where(considered, d, zeros_like(d));
            }
            else
            {
                considered = triplets;
                losses = where(considered, d.relu(), zeros_like(d));
            }
        }
        return ReducerReference.Reduce(losses, considered, losses.detach().gt(Scalars.Zero), s.shape[0], options.Reduction).MoveToOuterDisposeScope();
    }
}
