using System.Runtime.Intrinsics;
using Xbm.Losses;

namespace Xbm.Miners;

// The row form of the miner (host evaluation, see IRowMiner): the same selection as the tensor form in MultiSimilarityMiner.cs.
public sealed partial class MultiSimilarityMiner
{
    bool IRowMiner.SelectRow(ref QueryRow row, Span<int> selected)
    {
        // The same bounds in float32 arithmetic as the tensor form, from the row's hardest valid pairs (±∞ when a
        // side is empty, which keeps nothing on the other side).
        var rule = new BoundRule
        {
            Positive = Vector256.Create(row.Summary.MaxNegative + (float)Epsilon),
            Negative = Vector256.Create(row.Summary.MinPositive - (float)Epsilon),
        };
        RowSelection.ApplyAndSummarise(ref row, selected, ref rule);
        return true;
    }
}
