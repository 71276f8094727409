using TorchSharp;
using Xbm.Configuration;
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

    /// <summary>
    /// The host row evaluation counts each row's non-zero gradient entries (the sparse product's decision and the
    /// rows it skips) exactly, for a hinge loss (many zeros) and a softmax loss (none).
    /// </summary>
    [Theory]
    [InlineData("contrastive")]
    [InlineData("npair")]
    public void TheRowEvaluationCountsTheGradientsNonZeros(string name)
    {
        var loss = (PairLoss)LossFactory.Create(new ConfigSection(new Dictionary<string, object?> { ["name"] = name }, "test", "loss"));
        using var queries = nn.functional.normalize(randn(6, 16, generator: new TorchSharp.torch.Generator(3)), dim: 1);
        using var keys = nn.functional.normalize(randn(203, 16, generator: new TorchSharp.torch.Generator(4)), dim: 1);
        using var queryLabels = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        using var keyLabels = tensor(Enumerable.Range(0, 203).Select(i => (long)(i % 5)).ToArray());
        using var similarities = queries.matmul(keys.t()).contiguous();
        using var gradient = empty(6, 203);
        var totals = RowEvaluator.TryCreate(queryLabels, keyLabels, null)!.Run(loss, similarities, gradient, threads: 2);
        float[] g = gradient.data<float>().ToArray();
        long[] expected = Enumerable.Range(0, 6).Select(i => (long)g.Skip(i * 203).Take(203).Count(v => v != 0)).ToArray();
        Assert.Equal(expected, totals.RowGradientNonZero);
        Assert.Equal(expected.Sum(), totals.GradientNonZero);
        Assert.Contains(expected, c => c > 0);
        if (name == "contrastive")
            Assert.Contains(expected, c => c < 203);
    }
}
