using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>Mean over the valid pairs: the scale no longer depends on the number of keys.</summary>
public sealed class MeanReducer : IReducer
{
    /// <inheritdoc />
    public string Name => "mean";

    /// <inheritdoc />
    public Tensor Reduce(Tensor losses, Tensor considered, long queryCount) => losses.sum() / considered.sum().clamp_min(1).to(losses.dtype);
}
