using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The multi-similarity mining rule (<see cref="Miners.MultiSimilarityMiner"/>, and <see cref="MultiSimilarityLoss"/>'s
/// own mining) from its definition, on detached S: keep negative n of query i when S_in + ε &gt; min_{p∈P_i} S_ip and
/// positive p when S_ip − ε &lt; max_{n∈N_i} S_in. A query without positives keeps no negative, one without negatives
/// keeps no positive.
/// </summary>
public static class MultiSimilarityMinerReference
{
    /// <summary>The B×M mask of kept pairs (a subset of P ∪ N).</summary>
    public static Tensor Select(Tensor similarities, ReferencePairs pairs, double epsilon)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = similarities.detach();
        if (s.shape[1] == 0)
            return pairs.Valid.MoveToOuterDisposeScope();   // no keys: nothing to keep
        using var slack = epsilon.ToScalar();
        var hardestPositive = s.masked_fill(pairs.Positives.logical_not(), Scalars.PositiveInfinity).amin(new long[] { 1 }, keepdim: true);
        var hardestNegative = s.masked_fill(pairs.Negatives.logical_not(), Scalars.NegativeInfinity).amax(new long[] { 1 }, keepdim: true);
        var keptNegatives = pairs.Negatives.logical_and(s.add(slack, Scalars.One).gt(hardestPositive));
        var keptPositives = pairs.Positives.logical_and(s.sub(slack).lt(hardestNegative));
        return keptPositives.logical_or(keptNegatives).MoveToOuterDisposeScope();
    }
}
