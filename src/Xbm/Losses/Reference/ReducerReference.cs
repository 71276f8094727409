using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reducers (src/Xbm/Reducers) from their definitions: L = Σ_e ℓ_e / D with
/// D = B for <c>sum_per_query</c>, D = |considered elements| for <c>mean</c> and
/// D = |contributing elements| for <c>mean_nonzero</c>, never below 1. An element contributes when its loss depends
/// on S: a pair whose indicator or weight is non-zero (contrastive, direct weight: also a positive at S = 1, whose
/// 1 − S is 0), a triplet or query whose hinge or log term is positive.
/// </summary>
public static class ReducerReference
{
    /// <summary>
    /// Reduces the loss elements <paramref name="losses"/> (zero where an element does not count), of which
    /// <paramref name="considered"/> (same shape, boolean) are the valid ones and <paramref name="contributing"/> those
    /// that contribute, for <paramref name="queryCount"/> queries.
    /// </summary>
    public static Tensor Reduce(Tensor losses, Tensor considered, Tensor contributing, long queryCount, string reduction)
    {
        long count = reduction switch
        {
            "sum_per_query" => queryCount,
            "mean" => considered.count_nonzero().item<long>(),
            "mean_nonzero" => contributing.logical_and(considered).count_nonzero().item<long>(),
            _ => throw new ArgumentException($"unknown reduction '{reduction}'", nameof(reduction)),
        };
        using var divisor = Math.Max(1, count).ToScalar();
        return losses.sum().div(divisor);
    }
}
