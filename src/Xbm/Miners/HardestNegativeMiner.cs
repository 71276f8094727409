using System.Runtime.Intrinsics;
using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>
/// Keeps every positive and the <see cref="K"/> hardest (highest-similarity) negatives of each query; all
/// negatives of a query that has fewer.
/// </summary>
public sealed class HardestNegativeMiner : IPairMiner, IRowMiner
{
    /// <summary>Creates the miner.</summary>
    public HardestNegativeMiner(int k = 10)
    {
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        K = k;
    }

    /// <summary>Negatives kept per query (default 10).</summary>
    public int K { get; }

    /// <inheritdoc />
    public string Name => "hardest_negatives";

    /// <inheritdoc />
    public Tensor Mine(Tensor similarities, PairMasks masks)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var negatives = masks.OnSide(similarities, PairSide.Negative);
        int k = (int)Math.Min(K, similarities.shape[1]);
        var (values, indices) = negatives.topk(k, dim: 1);
        var selected = zeros_like(masks.Negatives).scatter_(1, indices, values.isfinite());
        return selected.logical_or_(masks.Positives).MoveToOuterDisposeScope();
    }

    void IRowMiner.SelectRow(ref PairRow row, Span<int> selected)
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
    }

    // The K negatives with the highest similarity (ties to the lower column), as a min-heap of (value, column) whose
    // root is the weakest kept negative: a pass over the row compares eight similarities at a time with the root and
    // inserts only those above it.
    private static unsafe void Hardest(ref PairRow row, Span<float> values, Span<int> columns)
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
