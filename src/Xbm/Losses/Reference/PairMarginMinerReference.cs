using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The pair-margin mining rule (<see cref="Miners.PairMarginMiner"/>) from its definition, on detached S: keep the
/// positives with S_ip &lt; m⁺ and the negatives with S_in &gt; m⁻.
/// </summary>
public static class PairMarginMinerReference
{
    /// <summary>The B×M mask of kept pairs (a subset of P ∪ N).</summary>
    public static Tensor Select(Tensor similarities, ReferencePairs pairs, double positiveMargin, double negativeMargin)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = similarities.detach();
        using var positive = positiveMargin.ToScalar();
        using var negative = negativeMargin.ToScalar();
        var keptPositives = pairs.Positives.logical_and(s.lt(positive));
        var keptNegatives = pairs.Negatives.logical_and(s.gt(negative));
        return keptPositives.logical_or(keptNegatives).MoveToOuterDisposeScope();
    }
}
