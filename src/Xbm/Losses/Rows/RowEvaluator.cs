using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using Xbm.Miners;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// Host evaluation of a pair loss, one query row at a time, for similarities that live on the CPU in float32.
/// </summary>
/// <remarks>
/// The tensor form of a loss makes a dozen passes over B×M, each allocating a B×M temporary; on the host a row of
/// M similarities (200 KB for M = 50,000) stays in cache while the loss makes its two or three passes over it, the
/// pair masks come from the labels without being materialised, and the only B×M buffers are the similarities and
/// the gradient, which <see cref="PairWorkspace"/> reuses from step to step. Rows are split over the intra-op
/// threads; each row's results are kept apart and summed in row order, so the result does not depend on the
/// thread count.
/// </remarks>
internal sealed unsafe class RowEvaluator : IDisposable
{
    [ThreadStatic]
    private static RowScratch? t_scratch;

    // The key labels are rented (M ints: a large-object-heap array at every step otherwise) and returned by Dispose;
    // the rented array may be longer than the M keys.
    private readonly int[] _queryLabels, _keyLabels;
    private readonly int _keys;
    private readonly long[]? _ownKeys;

    private RowEvaluator(int[] queryLabels, int[] keyLabels, int keys, long[]? ownKeys)
    {
        _queryLabels = queryLabels;
        _keyLabels = keyLabels;
        _keys = keys;
        _ownKeys = ownKeys;
    }

    /// <summary>
    /// Reads the labels and each query's own key (<paramref name="ownKeys"/>: B key indices, -1 for none; null for
    /// none at all) to the host; null when a label does not fit the host form (outside the int range), in which case
    /// the caller uses the tensor form.
    /// </summary>
    public static RowEvaluator? TryCreate(Tensor queryLabels, Tensor keyLabels, Tensor? ownKeys)
    {
        var own = PairMasks.ReadOwnKeys(ownKeys, queryLabels.shape[0], keyLabels.shape[0]);
        var queries = HostLabels(queryLabels, rent: false, out _);
        if (queries is null)
            return null;
        var keys = HostLabels(keyLabels, rent: true, out int count);
        return keys is null ? null : new RowEvaluator(queries, keys, count, own);
    }

    /// <summary>Returns the rented key labels; the evaluator must not be used after.</summary>
    public void Dispose() => ArrayPool<int>.Shared.Return(_keyLabels);

    // The labels as ints (in an array from the shared pool when rent is set), or null when one does not fit.
    private static int[]? HostLabels(Tensor labels, bool rent, out int count)
    {
        using var host = labels.to(ScalarType.Int64).cpu().contiguous();
        var values = MemoryMarshal.Cast<byte, long>(host.bytes);
        count = values.Length;
        var result = rent ? ArrayPool<int>.Shared.Rent(Math.Max(1, count)) : new int[count];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] <= int.MinValue || values[i] > int.MaxValue)
            {
                if (rent)
                    ArrayPool<int>.Shared.Return(result);
                return null;
            }
            result[i] = (int)values[i];
        }
        return result;
    }

    /// <summary>
    /// Evaluates <paramref name="loss"/> on every row of <paramref name="similarities"/> (B×M, CPU, float32,
    /// contiguous), writing ∂Sum/∂S into <paramref name="gradient"/> (same shape), on up to
    /// <paramref name="threads"/> threads.
    /// </summary>
    /// <remarks>
    /// With a <paramref name="miner"/>, the loss sees only the pairs it selects in each row, and the statistics'
    /// mean similarities still describe all valid pairs (as <see cref="MinedPairLoss"/> does with masks).
    /// </remarks>
    public RowTotals Run(PairLoss loss, Tensor similarities, Tensor gradient, int threads, IRowMiner? miner = null)
    {
        int rows = _queryLabels.Length, keys = _keys;
        var terms = new RowTerms[rows];
        var summaries = new RowSummary[rows];
        var gradientNonZero = new long[rows];
        // Tensor memory is native (not moved by the garbage collector): the addresses stay valid while the tensors live.
        nint s = Address(similarities), g = Address(gradient);
        int parts = Math.Max(1, Math.Min(threads, rows));
        // Rows are handed out one at a time, so a thread that starts late or runs slower takes fewer of them.
        int next = -1;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, _ =>
        {
            var labels = ArrayPool<int>.Shared.Rent(Math.Max(1, keys));
            // One scratch per thread, kept across calls: its buffers (up to M floats and ints) would otherwise be new
            // large-object-heap garbage at every step.
            var scratch = t_scratch ??= new RowScratch();
            try
            {
                Array.Copy(_keyLabels, labels, keys);
                for (int i = Interlocked.Increment(ref next); i < rows; i = Interlocked.Increment(ref next))
                {
                    long own = _ownKeys is null ? -1 : _ownKeys[i];
                    if (own >= 0)
                        labels[own] = QueryRow.Ignored;
                    var row = new QueryRow
                    {
                        QueryLabel = _queryLabels[i],
                        Similarities = new ReadOnlySpan<float>((float*)s + (long)i * keys, keys),
                        Labels = labels.AsSpan(0, keys),
                        Gradient = new Span<float>((float*)g + (long)i * keys, keys),
                        Scratch = scratch,
                    };
                    row.Gradient.Clear();
                    row.Summary = Summarise(ref row);
                    summaries[i] = row.Summary;
                    row.Candidates = row.Summary;
                    if (miner is not null && !(loss.RowUsesOnlyHardestPairs && miner.TrySelectByBounds(ref row)))
                    {
                        var selected = scratch.SelectedLabels(keys);
                        bool summarised = miner.SelectRow(ref row, selected);
                        row.Labels = selected;
                        if (!summarised)
                            row.Summary = Summarise(ref row);
                    }
                    terms[i] = loss.EvaluateRow(ref row);
                    // Counted while the row is in cache: the sparse gradient product needs the count of all of G first.
                    gradientNonZero[i] = SparseRowProduct.CountNonZero(row.Gradient);
                    if (own >= 0)
                        labels[own] = _keyLabels[own];
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(labels);
            }
        });
        var totals = new RowTotals { RowGradientNonZero = gradientNonZero };
        for (int i = 0; i < rows; i++)
            totals.Add(terms[i], summaries[i]);
        return totals;
    }

    /// <summary>The address of a contiguous float32 CPU tensor's data (native memory: it does not move while the tensor lives).</summary>
    internal static nint Address(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || tensor.dtype != ScalarType.Float32 || !tensor.is_contiguous())
            throw new ArgumentException("host rows need contiguous float32 CPU tensors");
        return (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
    }

    /// <summary>The counts, sums and extremes of a row's positives and negatives (one pass).</summary>
    /// <remarks>It also lists the row's positives (similarity and column, in column order) in the row's scratch.</remarks>
    internal static RowSummary Summarise(ref QueryRow row)
    {
        var all = new AllPairs();
        return Summarise(ref row, ref all);
    }

    /// <summary>
    /// As <see cref="Summarise(ref QueryRow)"/>, of the pairs <paramref name="filter"/> keeps in each group of eight
    /// (a miner's selection, made in the same pass: see <see cref="Miners.RowSelection"/>).
    /// </summary>
    internal static RowSummary Summarise<TFilter>(ref QueryRow row, ref TFilter filter) where TFilter : struct, IPairFilter
    {
        var kernel = new SummaryKernel<TFilter>
        {
            Filter = filter,
            MinPositive = Vector256.Create(float.PositiveInfinity), MaxPositive = Vector256.Create(float.NegativeInfinity),
            MaxNegative = Vector256.Create(float.NegativeInfinity),
        };
        var similarities = row.Scratch.PositiveSimilarities(row.Similarities.Length);
        var columns = row.Scratch.PositiveColumns(row.Similarities.Length);
        fixed (float* similarityPointer = similarities)
        fixed (int* columnPointer = columns)
        {
            kernel.ListedSimilarities = similarityPointer;
            kernel.ListedColumns = columnPointer;
            RowChunks.Run(ref row, ref kernel);
        }
        filter = kernel.Filter;
        row.PositiveSimilarities = similarities[..kernel.Listed];
        row.PositiveColumns = columns[..kernel.Listed];
        var summary = new RowSummary
        {
            Positives = RowChunks.Total(kernel.Positives), Negatives = RowChunks.Total(kernel.Negatives),
            PositiveSum = Vector256.Sum(kernel.PositiveSum), NegativeSum = Vector256.Sum(kernel.NegativeSum),
            MinPositive = float.PositiveInfinity, MaxPositive = float.NegativeInfinity,
            MaxNegative = float.NegativeInfinity,
        };
        for (int lane = 0; lane < 8; lane++)
        {
            summary.MinPositive = Math.Min(summary.MinPositive, kernel.MinPositive[lane]);
            summary.MaxPositive = Math.Max(summary.MaxPositive, kernel.MaxPositive[lane]);
            summary.MaxNegative = Math.Max(summary.MaxNegative, kernel.MaxNegative[lane]);
        }
        return summary;
    }

    private unsafe struct SummaryKernel<TFilter> : IChunkKernel where TFilter : struct, IPairFilter
    {
        public TFilter Filter;
        // Lane counts go down by one per pair (a set mask lane is −1 as an integer).
        public Vector256<int> Positives, Negatives;
        public Vector256<double> PositiveSum, NegativeSum;
        public Vector256<float> MinPositive, MaxPositive, MaxNegative;
        public float* ListedSimilarities;
        public int* ListedColumns;
        public int Listed;

        public readonly bool UsesGradient => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            Filter.Keep(column, s, ref positives, ref negatives);
            uint lanes = positives.ExtractMostSignificantBits();
            while (lanes != 0)
            {
                int lane = System.Numerics.BitOperations.TrailingZeroCount(lanes);
                ListedSimilarities[Listed] = s.GetElement(lane);
                ListedColumns[Listed++] = column + lane;
                lanes &= lanes - 1;
            }
            Positives += RowChunks.Count(positives);
            Negatives += RowChunks.Count(negatives);
            PositiveSum += RowChunks.Widen(positives & s);
            NegativeSum += RowChunks.Widen(negatives & s);
            MinPositive = Vector256.Min(MinPositive, Vector256.ConditionalSelect(positives, s, Vector256.Create(float.PositiveInfinity)));
            MaxPositive = Vector256.Max(MaxPositive, Vector256.ConditionalSelect(positives, s, Vector256.Create(float.NegativeInfinity)));
            MaxNegative = Vector256.Max(MaxNegative, Vector256.ConditionalSelect(negatives, s, Vector256.Create(float.NegativeInfinity)));
        }
    }
}

/// <summary>Narrows the positive and negative masks of a group of eight pairs (for <see cref="RowEvaluator.Summarise{TFilter}"/>).</summary>
internal interface IPairFilter
{
    /// <summary>Clears the lanes of the pairs at columns <paramref name="column"/> to <paramref name="column"/> + 7 that are not kept.</summary>
    void Keep(int column, Vector256<float> similarities, ref Vector256<float> positives, ref Vector256<float> negatives);
}

/// <summary>Keeps every pair (the plain summary).</summary>
internal struct AllPairs : IPairFilter
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Keep(int column, Vector256<float> similarities, ref Vector256<float> positives, ref Vector256<float> negatives)
    {
    }
}
