using TorchSharp;
using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>The sparse gradient product against the dense product, and its refusal of a dense G.</summary>
public class SparseRowProductTests
{
    [Theory]
    [InlineData(5, 37, 8, 0.05)]
    [InlineData(16, 300, 512, 0.01)]
    [InlineData(3, 16, 24, 0.3)]
    [InlineData(7, 1000, 20, 0.0)]
    public void EqualsTheDenseProductOnTheNonZeros(int rows, int columns, int d, double density)
    {
        var random = new Random(rows * 31 + columns);
        var g = new float[rows * columns];
        for (int i = 0; i < g.Length; i++)
            if (random.NextDouble() < density)
                g[i] = (float)(random.NextDouble() * 2 - 1);
        g[^1] = 0.5f; // a non-zero in the tail of the last row
        using var gradient = tensor(g, new long[] { rows, columns });
        using var keys = randn(columns, d, generator: new TorchSharp.torch.Generator(7));
        using var product = SparseRowProduct.TryMultiply(gradient, keys, threads: 2, maxDensity: 1.0);
        Assert.NotNull(product);
        using var expected = gradient.to(float64).matmul(keys.to(float64));
        double error = product!.to(float64).sub(expected).abs().max().item<double>();
        double scale = Math.Max(1, expected.abs().max().item<double>());
        Assert.True(error <= 1e-5 * scale, $"sparse product differs by {error} (scale {scale})");
    }

    [Fact]
    public void RefusesAGradientDenserThanTheLimit()
    {
        using var gradient = ones(4, 100);
        using var keys = randn(100, 8);
        Assert.Null(SparseRowProduct.TryMultiply(gradient, keys, threads: 2));
        using var sparse = zeros(4, 100);
        sparse[1, 99] = tensor(2f);
        using var product = SparseRowProduct.TryMultiply(sparse, keys, threads: 2, maxDensity: 1.0 / 256);
        Assert.NotNull(product);
        using var two = 2f.ToScalar();
        Assert.True(product!.select(0, 1).allclose(keys.select(0, 99).mul(two)));
        Assert.Equal(0f, product.select(0, 0).abs().max().item<float>());
    }
}
