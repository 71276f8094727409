using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>Mean over the valid elements: the scale no longer depends on the number of keys.</summary>
public sealed class MeanReducer : IReducer
{
    /// <inheritdoc />
    public string Name => "mean";

    /// <inheritdoc />
    public Tensor Reduce(Tensor losses, Tensor considered, long queryCount)
    {
        long count = considered.count_nonzero().item<long>();
        using var divisor = Divisor(count, 0, queryCount).ToScalar();
        return losses.sum().div(divisor);
    }

    /// <inheritdoc />
    public double Divisor(long considered, long nonZero, long queryCount) => Math.Max(1, considered);
}
