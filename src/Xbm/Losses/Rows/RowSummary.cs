namespace Xbm.Losses;

/// <summary>Counts, similarity sums and extremes of one row's valid positives and negatives.</summary>
internal struct RowSummary
{
    public long Positives, Negatives;
    public double PositiveSum, NegativeSum;

    /// <summary>Extremes: +∞ (minimum) and −∞ (maximum) for an empty side.</summary>
    public float MinPositive, MaxPositive, MaxNegative;
}
