namespace Xbm.Evaluation;

/// <summary>What <see cref="RetrievalEvaluator.Evaluate"/> returns. Owns <see cref="Results"/>.</summary>
public sealed class EvaluationReport : IDisposable
{
    internal EvaluationReport(IReadOnlyDictionary<string, double> metrics, RetrievalResults results, IReadOnlyList<ClassRecall>? perClass, TimeSpan searchTime, TimeSpan metricsTime)
    {
        Metrics = metrics;
        Results = results;
        PerClassRecall = perClass;
        SearchTime = searchTime;
        MetricsTime = metricsTime;
    }

    /// <summary>
    /// Metric values as fractions in [0, 1], in order: "Recall@K" for each requested K, "R-Precision", "MAP@R", any
    /// extra metrics, then "NMI" when requested. NaN when no query has a same-label reference.
    /// </summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Queries left out of every metric because no reference shares their label.</summary>
    public long ExcludedQueries => Results.ExcludedQueries;

    /// <summary>The neighbours and labels the metrics were computed from.</summary>
    public RetrievalResults Results { get; }

    /// <summary>Recall@1 per query label, when requested; otherwise null.</summary>
    public IReadOnlyList<ClassRecall>? PerClassRecall { get; }

    /// <summary>Time spent in the k-NN search.</summary>
    public TimeSpan SearchTime { get; }

    /// <summary>Time spent computing the metrics (including k-means for NMI).</summary>
    public TimeSpan MetricsTime { get; }

    /// <inheritdoc />
    public void Dispose() => Results.Dispose();
}
