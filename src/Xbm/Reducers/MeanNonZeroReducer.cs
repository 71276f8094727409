using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>Mean over the pairs with a non-zero loss (pytorch-metric-learning's AvgNonZeroReducer).</summary>
public sealed class MeanNonZeroReducer : IReducer
{
    /// <inheritdoc />
    public string Name => "mean_nonzero";

    /// <inheritdoc />
    public Tensor Reduce(Tensor losses, Tensor considered, long queryCount)
    {
        using var noGrad = no_grad();
        var count = losses.detach().gt(0).logical_and(considered).sum().clamp_min(1).to(losses.dtype);
        return losses.sum() / count;
    }
}
