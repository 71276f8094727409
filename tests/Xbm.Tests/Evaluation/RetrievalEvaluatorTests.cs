using TorchSharp;
using Xbm.Evaluation;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

public class RetrievalEvaluatorTests
{
    private static (Tensor Embeddings, long[] Labels) Clustered(int perClass, int classes, int seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var centres = randn(classes, 16, generator: generator);
        var labels = Enumerable.Range(0, classes * perClass).Select(i => (long)(i / perClass)).ToArray();
        using var spread = 0.3.ToScalar();
        var x = centres.index_select(0, tensor(labels)).add(randn(classes * perClass, 16, generator: generator).mul(spread), Scalars.One);
        return (nn.functional.normalize(x, p: 2, dim: 1), labels);
    }

    [Fact]
    public void ReportsOrderedKeysFractionsAndOptionalNmi()
    {
        using var scope = NewDisposeScope();
        var (x, labels) = Clustered(8, 5, 1);
        using (var report = RetrievalEvaluator.Evaluate(x, labels, null, null, new[] { 1, 2, 4, 8 }))
        {
            Assert.Equal(new[] { "Recall@1", "Recall@2", "Recall@4", "Recall@8", "R-Precision", "MAP@R" }, report.Metrics.Keys.ToArray());
            Assert.All(report.Metrics.Values, v => Assert.InRange(v, 0, 1));
            Assert.True(report.Metrics["Recall@1"] <= report.Metrics["Recall@2"]);
            Assert.True(report.Metrics["Recall@1"] > 0.9); // well-separated classes
            Assert.Equal(0, report.ExcludedQueries);
            Assert.Null(report.PerClassRecall);
            Assert.Equal(8, report.Results.Depth);
        }

        var options = new EvaluationOptions { ComputeNmi = true, PerClassRecall = true, KMeans = new KMeansOptions { Seed = 3, Restarts = 2 } };
        using (var report = RetrievalEvaluator.Evaluate(x, labels, null, null, new[] { 1 }, options))
        {
            Assert.Equal(new[] { "Recall@1", "R-Precision", "MAP@R", "NMI" }, report.Metrics.Keys.ToArray());
            Assert.InRange(report.Metrics["NMI"], 0.9, 1.0);
            Assert.Equal(5, report.PerClassRecall!.Count);
            Assert.Equal(Enumerable.Range(0, 5).Select(i => (long)i), report.PerClassRecall.Select(c => c.Label));
            Assert.All(report.PerClassRecall, c => Assert.Equal(8, c.Queries));
            Assert.Equal(report.Metrics["Recall@1"], report.PerClassRecall.Average(c => c.Recall), 12);
        }
    }

    [Fact]
    public void QueryGalleryModeCountsQueriesWithoutGalleryMatches()
    {
        using var scope = NewDisposeScope();
        var (x, labels) = Clustered(6, 4, 2);
        // Queries: the first item of each class and two items of an unseen class 9; gallery: the rest of classes 0..3.
        var queryRows = new long[] { 0, 6, 12, 18 };
        var galleryRows = Enumerable.Range(0, 24).Select(i => (long)i).Except(queryRows).ToArray();
        var (extra, _) = Clustered(2, 1, 3);
        var queries = cat(new[] { x.index_select(0, tensor(queryRows)), extra });
        long[] queryLabels = queryRows.Select(r => labels[r]).Concat(new long[] { 9, 9 }).ToArray();
        using var report = RetrievalEvaluator.Evaluate(queries, queryLabels, x.index_select(0, tensor(galleryRows)),
            galleryRows.Select(r => labels[r]).ToArray(), new[] { 1, 5 });
        Assert.False(report.Results.SameSet);
        Assert.Equal(2, report.ExcludedQueries);
        Assert.Equal(new[] { 5, 5, 5, 5, 0, 0 }, report.Results.RelevantCounts);
        Assert.Equal(1.0, report.Metrics["Recall@5"]);
    }

    [Fact]
    public void BadArgumentsAreClearErrors()
    {
        using var scope = NewDisposeScope();
        var (x, labels) = Clustered(3, 2, 4);
        Assert.Throws<ArgumentException>(() => RetrievalEvaluator.Evaluate(x, labels, null, null, new[] { 0 }));
        Assert.Throws<ArgumentException>(() => RetrievalEvaluator.Evaluate(x, labels[..3], null, null, new[] { 1 }));
        Assert.Throws<ArgumentException>(() => RetrievalEvaluator.Evaluate(x, labels, x, null, new[] { 1 }));
        Assert.Throws<ArgumentException>(() => RetrievalEvaluator.Evaluate(x, labels, null, null, new[] { 1 },
            new EvaluationOptions { ExtraMetrics = new[] { "Recall@1" } }));
    }
}
