using System.Diagnostics;
using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>
/// The evaluation entry point (docs/design.md §5): exact chunked k-NN, then Recall@K, R-Precision and MAP@R (and optionally NMI
/// and per-class Recall@1) from one <see cref="RetrievalResults"/>.
/// </summary>
public static class RetrievalEvaluator
{
    /// <summary>
    /// Evaluates <paramref name="queryEmbeddings"/> against <paramref name="galleryEmbeddings"/>, or against themselves
    /// (each query excluded from its own list) when the gallery is null.
    /// </summary>
    /// <param name="queryEmbeddings">Q×d embeddings.</param>
    /// <param name="queryLabels">Q labels.</param>
    /// <param name="galleryEmbeddings">G×d gallery embeddings, or null for the same-set protocol.</param>
    /// <param name="galleryLabels">G labels, or null with a null gallery.</param>
    /// <param name="recallAt">The K values of Recall@K, reported in this order.</param>
    /// <param name="options">k-NN, NMI and per-class options.</param>
    public static EvaluationReport Evaluate(Tensor queryEmbeddings, IReadOnlyList<long> queryLabels, Tensor? galleryEmbeddings,
        IReadOnlyList<long>? galleryLabels, IReadOnlyList<int> recallAt, EvaluationOptions? options = null)
    {
        options ??= new EvaluationOptions();
        if (recallAt.Any(k => k < 1))
            throw new ArgumentException($"Recall@K needs K ≥ 1, got [{string.Join(", ", recallAt)}]", nameof(recallAt));
        var metrics = recallAt.Distinct().Select(k => (IRetrievalMetric)new RecallAtK(k))
            .Append(new RPrecision())
            .Append(new MapAtR())
            .Concat(options.ExtraMetrics.Select(RetrievalMetricFactory.Create))
            .ToList();
        var duplicate = metrics.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"the metric '{duplicate.Key}' is requested twice", nameof(options));

        var clock = Stopwatch.StartNew();
        var results = RetrievalResults.Compute(queryEmbeddings, queryLabels, galleryEmbeddings, galleryLabels,
            Math.Max(1, metrics.Max(m => m.RequiredDepth)), options.Knn);
        var searchTime = clock.Elapsed;
        try
        {
            clock.Restart();
            var values = new OrderedDictionary<string, double>();
            foreach (var metric in metrics)
                values.Add(metric.Name, metric.Compute(results));
            if (options.ComputeNmi)
                values.Add("NMI", NormalizedMutualInfo.OfClustering(queryEmbeddings, queryLabels, options.KMeans));
            var perClass = options.PerClassRecall ? ClassRecall.Compute(results, 1) : null;
            return new EvaluationReport(new System.Collections.ObjectModel.ReadOnlyDictionary<string, double>(values), results, perClass, searchTime, clock.Elapsed);
        }
        catch
        {
            results.Dispose();
            throw;
        }
    }
}
