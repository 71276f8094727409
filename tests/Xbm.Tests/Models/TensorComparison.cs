using static TorchSharp.torch;

namespace Xbm.Tests.Models;

internal static class TensorComparison
{
    /// <summary>True when both tensors have the same dtype, shape and bytes (bit-exact).</summary>
    public static bool Same(this Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape))
            return false;
        using var x = a.detach().cpu().contiguous();
        using var y = b.detach().cpu().contiguous();
        return x.bytes.SequenceEqual(y.bytes);
    }
}
