using System.Runtime.Intrinsics;
using Xbm.Losses;

namespace Xbm.Miners;

// The row form of the miner (host evaluation, see IRowMiner): the same selection as the tensor form in MultiSimilarityMiner.cs.
public sealed partial class MultiSimilarityMiner
{
    bool IRowMiner.SelectRow(ref QueryRow row, Span<int> selected)
    {
        var (positive, negative) = Bounds(row.Summary);
        var rule = new BoundRule { Positive = Vector256.Create(positive), Negative = Vector256.Create(negative) };
        RowSelection.ApplyAndSummarise(ref row, selected, ref rule);
        return true;
    }

    bool IRowMiner.TrySelectByBounds(ref QueryRow row)
    {
        var (positive, negative) = Bounds(row.Summary);
        RowSelection.Bound(ref row, positive, negative);
        return true;
    }

    // The same bounds in float32 arithmetic as the tensor form, from the row's hardest valid pairs (±∞ when a side is
    // empty, which keeps nothing on the other side).
    private (float Positive, float Negative) Bounds(in RowSummary summary) =>
        (summary.MaxNegative + (float)Epsilon, summary.MinPositive - (float)Epsilon);
}
