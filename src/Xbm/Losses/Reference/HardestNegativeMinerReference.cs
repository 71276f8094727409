using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The hardest-negatives mining rule (<see cref="Miners.HardestNegativeMiner"/>) from its definition, on detached S:
/// keep every positive, and the negatives n of query i that fewer than k negatives of the query exceed in similarity
/// (the k highest; all of them when the query has fewer than k; ties are left to the data).
/// </summary>
public static class HardestNegativeMinerReference
{
    /// <summary>The B×M mask of kept pairs (a subset of P ∪ N).</summary>
    public static Tensor Select(Tensor similarities, ReferencePairs pairs, int k)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = similarities.detach();
        // higher[i, n, n'] = n' is a negative of query i with S_in' > S_in.
        var higher = s.unsqueeze(1).gt(s.unsqueeze(2)).logical_and(pairs.Negatives.unsqueeze(1));
        using var count = k.ToScalar();
        var keptNegatives = pairs.Negatives.logical_and(higher.sum(2).lt(count));
        return pairs.Positives.logical_or(keptNegatives).MoveToOuterDisposeScope();
    }
}
