using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>
/// Sum over all pairs divided by the number of queries: the XBM paper's scale. The memory loss grows with
/// the memory size (more pairs per query), which is why its weight and start iteration matter.
/// </summary>
public sealed class SumPerQueryReducer : IReducer
{
    /// <inheritdoc />
    public string Name => "sum_per_query";

    /// <inheritdoc />
    public Tensor Reduce(Tensor losses, Tensor considered, long queryCount) => losses.sum() / Math.Max(1, queryCount);
}
