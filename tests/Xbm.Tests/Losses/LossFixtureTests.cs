using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>
/// Parity of every loss (and loss + miner) with the independent brute-force reference of
/// tools/fixtures/make_loss_fixtures.py: value, gradient w.r.t. the queries, contributing pair counts and mean
/// similarities. Tolerance: 1e-7 relative in float64 (the reference runs in float64); 2e-4 in float32.
/// </summary>
public class LossFixtureTests
{
    public static TheoryData<string, int> AllCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in new[] { "contrastive.json", "multi_similarity.json", "triplet.json", "lifted_structure.json", "npair.json", "weighted.json", "mined.json" })
            foreach (var c in LossFixtures.Cases(file))
                data.Add(file, c.Index);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MatchesReferenceInFloat64(string file, int index)
    {
        var c = LossFixtures.Cases(file).ElementAt(index);
        var (value, grad, stats) = Run(c, float64);
        AssertClose(c.Value, value, 1e-7, $"{c}: loss");
        double scale = Math.Max(1e-3, c.Grad.Max(Math.Abs));
        for (int i = 0; i < grad.Length; i++)
            AssertClose(c.Grad[i], grad[i], 1e-7, $"{c}: grad[{i}]", scale);
        Assert.Equal(c.Positives, stats.Positives);
        Assert.Equal(c.Negatives, stats.Negatives);
        AssertClose(c.MeanPositive ?? double.NaN, stats.MeanPositiveSimilarity, 1e-9, $"{c}: mean positive");
        AssertClose(c.MeanNegative ?? double.NaN, stats.MeanNegativeSimilarity, 1e-9, $"{c}: mean negative");
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MatchesReferenceInFloat32(string file, int index)
    {
        var c = LossFixtures.Cases(file).ElementAt(index);
        var (value, grad, _) = Run(c, float32);
        AssertClose(c.Value, value, 2e-4, $"{c}: loss");
        double scale = Math.Max(1e-3, c.Grad.Max(Math.Abs));
        for (int i = 0; i < grad.Length; i++)
            AssertClose(c.Grad[i], grad[i], 2e-4, $"{c}: grad[{i}]", scale);
    }

    private static (double Value, double[] Grad, PairStatistics Stats) Run(FixtureCase c, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var input = LossFixtures.Inputs[c.Input];
        var (queries, queryLabels, keys, keyLabels, ownKeys) = input.Tensors(dtype);
        var loss = LossFactory.Create(LossFixtures.Section(c.Loss, "loss"), LossFixtures.Section(c.Miner, "miner"));
        var output = loss.Compute(queries, queryLabels, keys, keyLabels, ownKeys);
        output.Loss.backward();
        double value = output.Loss.to(float64).item<double>();
        var grad = queries.grad is null ? new double[c.Grad.Length] : queries.grad.to(float64).data<double>().ToArray();
        return (value, grad, output.Pairs);
    }

    internal static void AssertClose(double expected, double actual, double relative, string what, double scale = 0)
    {
        if (double.IsNaN(expected))
        {
            Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual}");
            return;
        }
        double tolerance = relative * Math.Max(Math.Max(Math.Abs(expected), scale), 1e-12);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:G3})");
    }
}
