using System.Runtime.Intrinsics;

namespace Xbm.Losses;

/// <summary>What a loss reports for one row; the same counts as <see cref="PairTerms"/>, and the row's summed loss.</summary>
internal struct RowTerms
{
    public double Sum;
    public long Considered, NonZero, ActivePositives, ActiveNegatives;

    /// <summary>
    /// The terms of an active query of a loss whose elements are queries and whose every valid pair then contributes
    /// (lifted structure, N-pair): the row's valid positives and negatives (the tensor form's <see cref="PairMasks.PairsOf"/>).
    /// </summary>
    public static RowTerms ActiveQuery(in RowSummary summary, double sum) => new()
    {
        Sum = sum, Considered = 1, NonZero = 1, ActivePositives = summary.Positives, ActiveNegatives = summary.Negatives,
    };

    /// <summary>
    /// The terms of a loss whose elements are pairs: every valid pair considered, the contributing ones non-zero.
    /// The counts come as lanes of −1 per pair (see <see cref="RowChunks.Count"/>).
    /// </summary>
    public static RowTerms Pairs(in RowSummary summary, double sum, Vector256<int> negatedPositives, Vector256<int> negatedNegatives)
    {
        long positives = RowChunks.Total(negatedPositives), negatives = RowChunks.Total(negatedNegatives);
        return new RowTerms
        {
            Sum = sum, Considered = summary.Positives + summary.Negatives,
            NonZero = positives + negatives, ActivePositives = positives, ActiveNegatives = negatives,
        };
    }
}
