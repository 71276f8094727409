using System.Text.Json;
using TorchSharp;
using Xbm.Evaluation;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

/// <summary>NMI against sklearn.metrics.normalized_mutual_info_score (fixture nmi.json), tolerance 1e-12.</summary>
public class NmiTests
{
    public static TheoryData<string, long[], long[], double> SklearnCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(EvaluationFixture.Folder, "nmi.json")));
        var data = new TheoryData<string, long[], long[], double>();
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!,
                c.GetProperty("a").EnumerateArray().Select(v => v.GetInt64()).ToArray(),
                c.GetProperty("b").EnumerateArray().Select(v => v.GetInt64()).ToArray(),
                c.GetProperty("nmi").GetDouble());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SklearnCases))]
    public void MatchesSklearn(string name, long[] a, long[] b, double expected)
    {
        Assert.False(string.IsNullOrEmpty(name));
        Assert.Equal(expected, NormalizedMutualInfo.NormalizedMutualInformation(a, b), 12);
        Assert.Equal(expected, NormalizedMutualInfo.NormalizedMutualInformation(b, a), 12); // symmetric
    }

    [Fact]
    public void IntOverloadAgrees()
    {
        int[] a = { 0, 0, 1, 1, 2, 2, 2 };
        int[] b = { 1, 1, 0, 2, 2, 2, 0 };
        Assert.Equal(NormalizedMutualInfo.NormalizedMutualInformation(a.Select(v => (long)v).ToArray(), b.Select(v => (long)v).ToArray()),
            NormalizedMutualInfo.NormalizedMutualInformation(a, b));
        Assert.Equal(1.0, NormalizedMutualInfo.NormalizedMutualInformation(a, a.Select(v => 5 - v).ToArray()), 12);
        Assert.Throws<ArgumentException>(() => NormalizedMutualInfo.NormalizedMutualInformation(a, b[..3]));
    }

    [Fact]
    public void ClusteringOfSeparatedClassesScoresOne()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var ten = 10.ToScalar();
        using var tenth = 0.1.ToScalar();
        var centres = randn(5, 8).mul(ten);
        var labels = Enumerable.Range(0, 100).Select(i => (long)(i % 5)).ToArray();
        var points = centres.index_select(0, tensor(labels)).add(randn(100, 8).mul(tenth), Scalars.One);
        Assert.Equal(1.0, NormalizedMutualInfo.OfClustering(points, labels, new KMeansOptions { Seed = 1, Restarts = 3 }), 12);
        // Random labels carry almost no information about the clusters.
        var random = new Random(5);
        var noise = Enumerable.Range(0, 100).Select(_ => (long)random.Next(5)).ToArray();
        Assert.True(NormalizedMutualInfo.OfClustering(points, noise, new KMeansOptions { Seed = 1 }) < 0.3);
    }
}
