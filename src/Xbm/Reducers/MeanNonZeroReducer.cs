using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>
/// Mean over the elements with a non-zero loss (pytorch-metric-learning's AvgNonZeroReducer): easy elements
/// do not dilute the loss, whatever their number.
/// </summary>
public sealed class MeanNonZeroReducer : IReducer
{
    /// <inheritdoc />
    public string Name => "mean_nonzero";

    /// <inheritdoc />
    public Tensor Reduce(Tensor losses, Tensor considered, long queryCount)
    {
        long count;
        using (no_grad())
        using (var nonZero = losses.detach().ne(Scalars.Zero).logical_and_(considered))
            count = nonZero.count_nonzero().item<long>();
        using var divisor = Divisor(0, count, queryCount).ToScalar();
        return losses.sum().div(divisor);
    }

    /// <inheritdoc />
    public double Divisor(long considered, long nonZero, long queryCount) => Math.Max(1, nonZero);
}
