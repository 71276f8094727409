namespace Xbm.Evaluation;

/// <summary>
/// R-Precision (Musgrave et al. 2020): for a query with R same-label references, the share of its first R
/// neighbours that share its label; averaged over queries with R &gt; 0.
/// </summary>
public sealed class RPrecision : IRetrievalMetric
{
    /// <inheritdoc />
    public string Name => "R-Precision";

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
            for (int i = 0; i < r; i++)
            {
                if (results.IsMatch(query, neighbours[i]))
                    correct++;
            }
            sum += (double)correct / r;
        });
        return counted == 0 ? double.NaN : sum / counted;
    }
}
