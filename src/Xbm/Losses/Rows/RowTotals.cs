namespace Xbm.Losses;

/// <summary>The sums over rows of <see cref="RowTerms"/> and of the valid pairs' counts and similarities.</summary>
internal sealed class RowTotals
{
    public double Sum;
    public long Considered, NonZero, ActivePositives, ActiveNegatives;
    public long Positives, Negatives;
    public double PositiveSum, NegativeSum;

    /// <summary>The number of non-zero entries of each row of G = ∂Sum/∂S (for <see cref="SparseRowProduct"/>).</summary>
    public long[] RowGradientNonZero = Array.Empty<long>();

    /// <summary>The number of non-zero entries of G.</summary>
    public long GradientNonZero => RowGradientNonZero.Sum();

    /// <summary>Adds one row.</summary>
    public void Add(in RowTerms terms, in RowSummary summary)
    {
        Sum += terms.Sum;
        Considered += terms.Considered;
        NonZero += terms.NonZero;
        ActivePositives += terms.ActivePositives;
        ActiveNegatives += terms.ActiveNegatives;
        Positives += summary.Positives;
        Negatives += summary.Negatives;
        PositiveSum += summary.PositiveSum;
        NegativeSum += summary.NegativeSum;
    }

    /// <summary>The pair statistics the loss output reports.</summary>
    public PairStatistics Statistics() => new(ActivePositives, ActiveNegatives,
        Positives > 0 ? PositiveSum / Positives : double.NaN,
        Negatives > 0 ? NegativeSum / Negatives : double.NaN);
}
