using System.Runtime.Intrinsics;
using Xbm.Losses;

namespace Xbm.Miners;

// The row form of the miner (host evaluation, see IRowMiner): the same selection as the tensor form in PairMarginMiner.cs.
public sealed partial class PairMarginMiner
{
    bool IRowMiner.SelectRow(ref QueryRow row, Span<int> selected)
    {
        // The tensor form compares float32 similarities with the margins rounded to float32.
        var rule = new BoundRule { Positive = Vector256.Create((float)PositiveMargin), Negative = Vector256.Create((float)NegativeMargin) };
        RowSelection.ApplyAndSummarise(ref row, selected, ref rule);
        return true;
    }

    bool IRowMiner.TrySelectByBounds(ref QueryRow row)
    {
        RowSelection.Bound(ref row, (float)PositiveMargin, (float)NegativeMargin);
        return true;
    }
}
