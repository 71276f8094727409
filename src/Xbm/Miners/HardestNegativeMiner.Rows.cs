using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Xbm.Losses;

namespace Xbm.Miners;

// The row form of the miner (host evaluation, see IRowMiner): the same selection as the tensor form in HardestNegativeMiner.cs.
public sealed partial class HardestNegativeMiner
{
    bool IRowMiner.SelectRow(ref QueryRow row, Span<int> selected)
    {
        int k = Math.Min(K, row.Similarities.Length);
        var values = row.Scratch.Floats(k);
        var columns = row.Scratch.Ints(k);
        Hardest(ref row, values, columns);
        var positives = new PositivesRule();
        RowSelection.Apply(ref row, selected, ref positives);
        // As in the tensor form, a row with fewer than K finite negatives keeps those it has.
        for (int j = 0; j < values.Length; j++)
            if (float.IsFinite(values[j]))
                selected[columns[j]] = row.Labels[columns[j]];
        return false;
    }

    bool IRowMiner.TrySelectByBounds(ref QueryRow row) => false;

    // The K negatives with the highest similarity (ties to the lower column), as a min-heap of (value, column) whose
    // root is the weakest kept negative: a pass over the row compares eight similarities at a time with the root and
    // inserts only those above it.
    private static unsafe void Hardest(ref QueryRow row, Span<float> values, Span<int> columns)
    {
        values.Fill(float.NegativeInfinity);
        columns.Fill(int.MaxValue);
        fixed (float* valuePointer = values)
        fixed (int* columnPointer = columns)
        {
            var kernel = new HeapKernel { Values = valuePointer, Columns = columnPointer, Count = values.Length };
            RowChunks.Run(ref row, ref kernel);
        }
    }

    private unsafe struct HeapKernel : IChunkKernel
    {
        public float* Values;
        public int* Columns;
        public int Count;

        public readonly bool UsesGradient => false;

        public readonly void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            uint lanes = (negatives & Vector256.GreaterThan(s, Vector256.Create(Values[0]))).ExtractMostSignificantBits();
            while (lanes != 0)
            {
                int lane = System.Numerics.BitOperations.TrailingZeroCount(lanes);
                Offer(new Span<float>(Values, Count), new Span<int>(Columns, Count), s.GetElement(lane), column + lane);
                lanes &= lanes - 1;
            }
        }
    }

    // Replaces the heap's root with (value, column) when the value is higher, and sifts it down.
    private static void Offer(Span<float> values, Span<int> columns, float value, int column)
    {
        if (!(value > values[0]))
            return;
        int i = 0, count = values.Length;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= count)
                break;
            if (child + 1 < count && Weaker(values[child + 1], columns[child + 1], values[child], columns[child]))
                child++;
            if (!Weaker(values[child], columns[child], value, column))
                break;
            values[i] = values[child];
            columns[i] = columns[child];
            i = child;
        }
        values[i] = value;
        columns[i] = column;
    }

    // Lower similarity is weaker; at equal similarity the higher column is.
    private static bool Weaker(float value, int column, float otherValue, int otherColumn) =>
        value < otherValue || (value == otherValue && column > otherColumn);
}
