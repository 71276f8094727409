using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The reducers (src/Xbm/Reducers) from their definitions: L = Σ_e ℓ_e / D with
/// D = B for <c>sum_per_query</c>, D = |considered elements| for <c>mean</c> and
/// D = |considered elements with ℓ_e ≠ 0| for <c>mean_nonzero</c>, never below 1.
/// </summary>
public static class ReducerReference
{
    /// <summary>
    /// Reduces the loss elements <paramref name="losses"/> (zero where an element does not count), of which
    /// <paramref name="considered"/> (same shape, boolean) are the valid ones, for <paramref name="queryCount"/> queries.
    /// </summary>
    public static Tensor Reduce(Tensor losses, Tensor considered, long queryCount, string reduction)
    {
        long count = reduction switch
        {
            "sum_per_query" => queryCount,
            "mean" => considered.count_nonzero().item<long>(),
            "mean_nonzero" => losses.detach().ne(Scalars.Zero).logical_and(considered).count_nonzero().item<long>(),
            _ => throw new ArgumentException($"unknown reduction '{reduction}'", nameof(reduction)),
        };
        using var divisor = Math.Max(1, count).ToScalar();
        return losses.sum().div(divisor);
    }
}
