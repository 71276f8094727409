namespace Xbm.Evaluation;

/// <summary>Recall@K of the queries of one label.</summary>
/// <param name="Label">The class label.</param>
/// <param name="Queries">Queries of this label that count (R &gt; 0).</param>
/// <param name="Recall">Their Recall@K, a fraction in [0, 1].</param>
public sealed record ClassRecall(long Label, int Queries, double Recall)
{
    /// <summary>Recall@<paramref name="k"/> per query label, sorted by label; labels whose queries all have R = 0 are left out.</summary>
    public static IReadOnlyList<ClassRecall> Compute(RetrievalResults results, int k = 1)
    {
        results.RequireDepth(k, $"Recall@{k} per class");
        int ranks = Math.Min(k, results.Depth);
        var perLabel = new SortedDictionary<long, (int Queries, int Hits)>();
        results.ForEachQuery((query, neighbours, _) =>
        {
            if (results.RelevantCounts[query] == 0)
                return;
            bool hit = false;
            for (int i = 0; i < ranks && !hit; i++)
                hit = results.IsMatch(query, neighbours[i]);
            long label = results.QueryLabels[query];
            var (queries, hits) = perLabel.GetValueOrDefault(label);
            perLabel[label] = (queries + 1, hits + (hit ? 1 : 0));
        });
        return perLabel.Select(p => new ClassRecall(p.Key, p.Value.Queries, (double)p.Value.Hits / p.Value.Queries)).ToList();
    }
}
