namespace Xbm.Evaluation;

/// <summary>
/// A metric computed from <see cref="RetrievalResults"/>: a fraction in [0, 1] averaged over the queries that have
/// at least one same-label reference (R &gt; 0); NaN when there is none.
/// </summary>
public interface IRetrievalMetric
{
    /// <summary>The metric's name as reports show it, e.g. "Recall@1", "MAP@R".</summary>
    string Name { get; }

    /// <summary>
    /// Neighbours per query this metric reads beyond the first R (e.g. K for Recall@K); the evaluator keeps at
    /// least this many. 0 when it reads only the first R.
    /// </summary>
    int RequiredDepth => 0;

    /// <summary>Computes the metric.</summary>
    double Compute(RetrievalResults results);
}
