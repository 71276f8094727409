namespace Xbm.Evaluation;

/// <summary>
/// MAP@R (Musgrave et al. 2020): for a query with R same-label references,
/// (1/R) Σ_{i≤R} P(i)·1[rank i correct], P(i) being the share of correct neighbours among the first i; averaged over
/// queries with R &gt; 0. It is 1 only when the first R neighbours are all correct.
/// </summary>
public sealed class MapAtR : IRetrievalMetric
{
    /// <inheritdoc />
    public string Name => "MAP@R";

    /// <inheritdoc />
    public double Compute(RetrievalResults results)
    {
        results.RequireDepth(results.MaxRelevantCount, Name);
        double sum = 0;
        long counted = 0;
        results.ForEachQuery((query, neighbours, _) =>
        {
            int r = results.RelevantCounts[query];
            if (r == 0)
                return;
            counted++;
            int correct = 0;
            double precisionSum = 0;
            for (int i = 0; i < r; i++)
            {
                if (results.IsMatch(query, neighbours[i]))
                {
                    correct++;
                    precisionSum += (double)correct / (i + 1);
                }
            }
            sum += precisionSum / r;
        });
        return counted == 0 ? double.NaN : sum / counted;
    }
}
