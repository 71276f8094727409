using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>
/// Sum over all elements divided by the number of queries B: the XBM paper's scale. For pair losses the
/// memory loss then grows with the memory size (more pairs per query), which is why its weight and start
/// iteration matter.
/// </summary>
public sealed class SumPerQueryReducer : IReducer
{
    /// <inheritdoc />
    public string Name => "sum_per_query";

    /// <inheritdoc />
    public Tensor Reduce(Tensor losses, Tensor considered, long queryCount)
    {
        using var divisor = Divisor(0, 0, queryCount).ToScalar();
        return losses.sum().div(divisor);
    }

    /// <inheritdoc />
    public double Divisor(long considered, long nonZero, long queryCount) => Math.Max(1, queryCount);
}
