namespace Xbm.Evaluation;

/// <summary>
/// Recall@K in the metric-learning sense (docs/design.md §5): the share of queries whose K nearest references hold at least
/// one with the query's label. Not IR recall. Queries with R = 0 are excluded.
/// </summary>
public sealed class RecallAtK : IRetrievalMetric
{
    /// <summary>Creates Recall@<paramref name="k"/>.</summary>
    public RecallAtK(int k)
    {
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), $"Recall@K needs K ≥ 1, got {k}");
        K = k;
    }

    /// <summary>The K.</summary>
    public int K { get; }

    /// <inheritdoc />
    public string Name => $"Recall@{K}";

    /// <inheritdoc />
    public int RequiredDepth => K;

    /// <inheritdoc />
    public double Compute(RetrievalResults results)
    {
        results.RequireDepth(K, Name);
        int ranks = Math.Min(K, results.Depth);
        long hits = 0, counted = 0;
        results.ForEachQuery((query, neighbours, _) =>
        {
            if (results.RelevantCounts[query] == 0)
                return;
            counted++;
            for (int i = 0; i < ranks; i++)
            {
                if (results.IsMatch(query, neighbours[i]))
                {
                    hits++;
                    return;
                }
            }
        });
        return counted == 0 ? double.NaN : (double)hits / counted;
    }
}
