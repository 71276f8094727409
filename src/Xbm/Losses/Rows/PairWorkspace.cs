using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// The B×M similarity and gradient buffers of a loss's host evaluation, kept from one step to the next.
/// </summary>
/// <remarks>
/// A memory loss needs the same two B×M float32 buffers (25.6 MB each for B = 128, M = 50,000) at every step.
/// Allocated afresh, each costs thousands of page faults per step, and glibc's heap, fragmented by the
/// temporaries of the tensor form, grew without bound (73 MB per step for the multi-similarity loss). The buffers
/// grow to the largest shape seen and are then reused; views of the needed shape are handed out. A loss only
/// reuses them when no autograd graph keeps the gradient (the keys carry no gradient), because the next
/// evaluation overwrites them.
/// </remarks>
internal sealed class PairWorkspace
{
    private Tensor? _similarities, _gradient;

    /// <summary>Views of shape <paramref name="rows"/>×<paramref name="columns"/> on the two buffers (float32, CPU).</summary>
    public (Tensor Similarities, Tensor Gradient) Rent(long rows, long columns)
    {
        long size = rows * columns;
        if (_similarities is null || _similarities.shape[0] < size)
        {
            _similarities?.Dispose();
            _gradient?.Dispose();
            _similarities = empty(size, dtype: ScalarType.Float32).DetachFromDisposeScope();
            _gradient = empty(size, dtype: ScalarType.Float32).DetachFromDisposeScope();
        }
        return (_similarities.narrow(0, 0, size).view(rows, columns), _gradient!.narrow(0, 0, size).view(rows, columns));
    }
}
