using Xbm.Evaluation;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

/// <summary>Hand-worked examples of the metric definitions and their edge cases.</summary>
public class MetricTests
{
    /// <summary>Results from explicit neighbour lists (query/gallery mode).</summary>
    private static RetrievalResults Results(long[][] neighbours, long[] queryLabels, long[] galleryLabels)
    {
        int depth = neighbours[0].Length;
        var indices = tensor(neighbours.SelectMany(r => r).ToArray(), new long[] { neighbours.Length, depth });
        var sims = zeros(neighbours.Length, depth);
        return new RetrievalResults(indices, sims, queryLabels, galleryLabels, sameSet: false);
    }

    [Fact]
    public void HandWorkedExample()
    {
        // Gallery labels: items 0..5 → A A A B B C (A = 1, B = 2, C = 3).
        long[] gallery = { 1, 1, 1, 2, 2, 3 };
        long[][] neighbours =
        {
            new long[] { 0, 3, 1, 5, 2, 4 }, // label A, R = 3: correct at ranks 1, 3, 5
            new long[] { 5, 4, 0, 1, 2, 3 }, // label B, R = 2: correct at rank 2 only within R
            new long[] { 0, 1, 2, 3, 4, 5 }, // label D (absent): R = 0, excluded
        };
        using var results = Results(neighbours, new long[] { 1, 2, 4 }, gallery);

        Assert.Equal(new[] { 3, 2, 0 }, results.RelevantCounts);
        Assert.Equal(1, results.ExcludedQueries);
        Assert.Equal(0.5, new RecallAtK(1).Compute(results), 15);        // query 0 hits, query 1 misses
        Assert.Equal(1.0, new RecallAtK(2).Compute(results), 15);
        // R-Precision: query 0 has 2 of its first 3 correct; query 1 has 1 of its first 2.
        Assert.Equal((2.0 / 3 + 1.0 / 2) / 2, new RPrecision().Compute(results), 15);
        // MAP@R: query 0: (1/1 + 2/3) / 3; query 1: (1/2) / 2.
        Assert.Equal(((1 + 2.0 / 3) / 3 + 0.5 / 2) / 2, new MapAtR().Compute(results), 15);
    }

    [Fact]
    public void MapAtRIsOneOnlyWhenTheFirstRAreCorrect()
    {
        long[] gallery = { 7, 7, 8, 8 };
        using var perfect = Results(new[] { new long[] { 1, 0, 2, 3 } }, new long[] { 7 }, gallery);
        Assert.Equal(1.0, new MapAtR().Compute(perfect));
        using var late = Results(new[] { new long[] { 2, 0, 1, 3 } }, new long[] { 7 }, gallery);
        Assert.Equal((0.5 / 2), new MapAtR().Compute(late), 15); // correct at rank 2 only within R = 2
        Assert.Equal(0.5, new RPrecision().Compute(late), 15);
        Assert.Equal(1.0, new RecallAtK(2).Compute(late));
    }

    [Fact]
    public void LoneQueriesAreExcludedAndCountedInSameSetMode()
    {
        // Labels 5 and 6 appear once: those queries have R = 0 (self excluded).
        using var x = tensor(new float[] { 1, 0, 0.9f, 0.1f, 0, 1, 0.1f, 0.9f, -1, 0, 0.7f, 0.7f }, new long[] { 6, 2 });
        long[] labels = { 1, 1, 2, 2, 5, 6 };
        using var results = RetrievalResults.Compute(x, labels, null, null, 1);
        Assert.True(results.SameSet);
        Assert.Equal(new[] { 1, 1, 1, 1, 0, 0 }, results.RelevantCounts);
        Assert.Equal(2, results.ExcludedQueries);
        Assert.Equal(1.0, new RecallAtK(1).Compute(results)); // the four counted queries find their pair first
    }

    [Fact]
    public void NoCountableQueryGivesNaN()
    {
        using var x = randn(4, 3);
        using var results = RetrievalResults.Compute(x, new long[] { 1, 2, 3, 4 }, null, null, 2);
        Assert.Equal(4, results.ExcludedQueries);
        Assert.True(double.IsNaN(new RecallAtK(1).Compute(results)));
        Assert.True(double.IsNaN(new MapAtR().Compute(results)));
    }

    [Fact]
    public void DepthGrowsToTheLargestClassAndStopsAtTheAvailableReferences()
    {
        using var x = randn(30, 4);
        long[] labels = Enumerable.Range(0, 30).Select(i => i < 12 ? 0L : i % 3 + 1).ToArray(); // class 0 has 12
        using (var results = RetrievalResults.Compute(x, labels, null, null, 4))
            Assert.Equal(11, results.Depth); // R of class 0 = 11 > max K = 4
        using (var results = RetrievalResults.Compute(x, labels, null, null, 100))
        {
            Assert.Equal(29, results.Depth); // all 29 other items
            Assert.Equal(1.0, new RecallAtK(1000).Compute(results)); // K past the references: every counted query hits
        }
    }

    [Fact]
    public void ShallowResultsAreRejected()
    {
        using var results = Results(new[] { new long[] { 0, 1 } }, new long[] { 1 }, new long[] { 1, 1, 1, 2 });
        Assert.Contains("Recall@3", Assert.Throws<InvalidOperationException>(() => new RecallAtK(3).Compute(results)).Message);
        Assert.Contains("MAP@R", Assert.Throws<InvalidOperationException>(() => new MapAtR().Compute(results)).Message);
    }

    [Fact]
    public void RegistryCreatesMetricsByName()
    {
        Assert.Equal("Recall@10", RetrievalMetricFactory.Create("Recall@10").Name);
        Assert.Equal("Recall@5", RetrievalMetricFactory.Create("recall@5").Name);
        Assert.IsType<MapAtR>(RetrievalMetricFactory.Create("MAP@R"));
        Assert.IsType<RPrecision>(RetrievalMetricFactory.Create("R-Precision"));
        var e = Assert.Throws<ArgumentException>(() => RetrievalMetricFactory.Create("Recall@0"));
        Assert.Contains("MAP@R", e.Message);
        Assert.Throws<ArgumentException>(() => RetrievalMetricFactory.Create("F1"));
    }

    private sealed class PrecisionAtK(int k) : IRetrievalMetric
    {
        public string Name => $"Precision@{k}";

        public int RequiredDepth => k;

        public double Compute(RetrievalResults results)
        {
            results.RequireDepth(k, Name);
            double sum = 0;
            long counted = 0;
            results.ForEachQuery((q, neighbours, _) =>
            {
                if (results.RelevantCounts[q] == 0)
                    return;
                counted++;
                int hits = 0;
                for (int i = 0; i < k; i++)
                    hits += results.IsMatch(q, neighbours[i]) ? 1 : 0;
                sum += (double)hits / k;
            });
            return sum / counted;
        }
    }

    [Fact]
    public void RegisteredMetricsReachTheEvaluator()
    {
        RetrievalMetricFactory.RegisterFamily("TestPrecision@", k => new PrecisionAtK(k));
        Assert.Contains("TestPrecision@K", RetrievalMetricFactory.Names);
        using var x = tensor(new float[] { 1, 0, 0.9f, 0.1f, 0.8f, 0.2f, 0, 1 }, new long[] { 4, 2 });
        using var report = RetrievalEvaluator.Evaluate(x, new long[] { 1, 1, 2, 2 }, null, null, new[] { 1 },
            new EvaluationOptions { ExtraMetrics = new[] { "TestPrecision@2" } });
        Assert.Equal(new[] { "Recall@1", "R-Precision", "MAP@R", "Precision@2" }, report.Metrics.Keys.ToArray());
        // Query 0 → [1, 2]: 1 of 2; 1 → [0, 2]: 1; 2 → [1, 0]: 0; 3 → [2, 1]: 1/2.
        Assert.Equal((0.5 + 0.5 + 0 + 0.5) / 4, report.Metrics["Precision@2"], 15);
    }
}
