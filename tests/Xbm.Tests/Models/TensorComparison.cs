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

    /// <summary>Asserts |expected − actual| ≤ tolerance · max(1, max |expected|), element by element.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        using var scope = NewDisposeScope();
        var e = expected.detach().to(float64);
        var a = actual.detach().to(float64);
        Assert.Equal(e.shape, a.shape);
        double scale = Math.Max(1.0, e.abs().max().item<double>());
        double error = (e - a).abs().max().item<double>();
        Assert.True(error <= tolerance * scale, $"{what}: largest difference {error:E2}, allowed {tolerance * scale:E2}");
    }
}
