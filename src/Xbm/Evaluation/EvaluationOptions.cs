namespace Xbm.Evaluation;

/// <summary>Options of <see cref="RetrievalEvaluator"/>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>k-NN chunk sizes and similarity.</summary>
    public KnnOptions Knn { get; init; } = new();

    /// <summary>Also cluster the query embeddings with seeded k-means (k = number of labels) and report "NMI".</summary>
    public bool ComputeNmi { get; init; }

    /// <summary>k-means settings for NMI.</summary>
    public KMeansOptions KMeans { get; init; } = new();

    /// <summary>Also report Recall@1 for each query label.</summary>
    public bool PerClassRecall { get; init; }

    /// <summary>More metrics by registry name (<see cref="RetrievalMetricFactory"/>), reported after MAP@R.</summary>
    public IReadOnlyList<string> ExtraMetrics { get; init; } = Array.Empty<string>();
}
