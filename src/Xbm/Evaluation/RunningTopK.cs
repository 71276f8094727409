using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xbm.Evaluation;

/// <summary>
/// The running top-k of a chunk of queries. Each query keeps a buffer of up to 2k candidates encoded as 64-bit keys
/// that sort in the neighbour order (higher similarity first, then lower reference index), and a threshold: the
/// worst similarity among at least k kept candidates. A block row is scanned with SIMD compares against the threshold;
/// the rare values above it are appended, and a full buffer is cut back by a 256-bucket radix histogram of its keys
/// to the buckets that hold its k best (an exact quickselect when that frees too little room), so each candidate costs
/// amortised O(1) for any k. At the end each list is radix-sorted. Blocks must be offered in increasing reference
/// order: then a later candidate equal to the threshold ranks after at least k kept ones and is rightly skipped,
/// which gives the lower-index-first tie rule. The candidate buffers (rows × 2k keys, hundreds of MiB for a deep
/// k-NN) are native memory freed by <see cref="Dispose"/>: as a managed array each evaluation left one on the large
/// object heap until a full collection, and a long run's resident memory grew by that much per evaluation.
/// </summary>
internal sealed unsafe class RunningTopK : IDisposable
{
    private readonly int _k;
    private readonly int _capacity;
    private ulong* _keys;
    private readonly int[] _counts;
    private readonly float[] _thresholds;
    private int _rows;

    /// <summary>Room for <paramref name="maxRows"/> queries with <paramref name="k"/> neighbours each.</summary>
    public RunningTopK(int maxRows, int k)
    {
        _k = k;
        _capacity = 2 * k;
        long bytes = (long)maxRows * _capacity * sizeof(ulong);
        _keys = (ulong*)NativeMemory.Alloc((nuint)bytes);
        // Written once per candidate, row after row: on huge pages a deep k-NN's buffers (near 1 GiB for 60,000
        // queries and k = 1,000) fault once per 2 MiB instead of once per 4 KiB.
        Runtime.HugePages.Advise((nint)_keys, bytes);
        _counts = new int[maxRows];
        _thresholds = new float[maxRows];
    }

    /// <summary>Frees the candidate buffers.</summary>
    public void Dispose()
    {
        NativeMemory.Free(_keys);
        _keys = null;
    }

    /// <summary>Starts a new chunk of <paramref name="rows"/> queries with empty lists.</summary>
    public void Reset(int rows)
    {
        _rows = rows;
        Array.Clear(_counts, 0, rows);
        Array.Fill(_thresholds, float.NegativeInfinity, 0, rows);
    }

    /// <summary>
    /// Starts each row of the chunk from <paramref name="thresholds"/> (after <see cref="Reset"/>): only similarities
    /// above a row's threshold are kept. A row that ends with fewer than k (<see cref="ShortRows()"/>) must be searched
    /// again from <see cref="ResetRow"/>.
    /// </summary>
    public void StartFrom(ReadOnlySpan<float> thresholds) => StartFrom(thresholds, 0);

    /// <summary><see cref="StartFrom(ReadOnlySpan{float})"/> for the rows from <paramref name="firstRow"/> on.</summary>
    public void StartFrom(ReadOnlySpan<float> thresholds, int firstRow)
    {
        if (firstRow < 0 || firstRow + thresholds.Length > _rows)
            throw new ArgumentException($"thresholds for rows {firstRow}..{firstRow + thresholds.Length - 1} do not fit the {_rows} rows", nameof(thresholds));
        thresholds.CopyTo(_thresholds.AsSpan(firstRow));
    }

    /// <summary>The rows of the chunk holding fewer than k candidates.</summary>
    public int[] ShortRows() => ShortRows(0, _rows);

    /// <summary>The rows from <paramref name="firstRow"/> to <paramref name="firstRow"/> + <paramref name="rows"/> − 1 holding fewer than k candidates.</summary>
    public int[] ShortRows(int firstRow, int rows) => Enumerable.Range(firstRow, rows).Where(row => _counts[row] < _k).ToArray();

    /// <summary>Empties one row and lowers its threshold to −∞.</summary>
    public void ResetRow(int row)
    {
        _counts[row] = 0;
        _thresholds[row] = float.NegativeInfinity;
    }

    /// <summary>
    /// Offers one row's similarities to <paramref name="columns"/> references from <paramref name="firstReference"/>
    /// on, skipping <paramref name="selfColumn"/> (−1 for none).
    /// </summary>
    public void OfferRow(int row, float* values, int columns, int firstReference, int selfColumn) =>
        OfferRow(values, columns, firstReference, selfColumn, row);

    /// <summary>
    /// Offers a row-major block (rows × columns floats, all finite) whose column j is reference
    /// <paramref name="firstReference"/> + j. In same-set mode (<paramref name="excludeSelf"/>) row i is query
    /// <paramref name="firstQuery"/> + i and skips the reference with that same index.
    /// </summary>
    /// <remarks>Block row i goes to the list of row <paramref name="firstRow"/> + i.</remarks>
    public void Offer(float* block, int rows, int columns, int firstReference, bool excludeSelf, int firstQuery, int threads, int firstRow = 0)
    {
        int parts = Math.Max(1, Math.Min(threads, rows / 16));
        nint address = (nint)block;
        if (parts == 1)
        {
            OfferRows(address, 0, rows, columns, firstReference, excludeSelf, firstQuery, firstRow);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = (int)((long)rows * p / parts), end = (int)((long)rows * (p + 1) / parts);
            OfferRows(address, start, end, columns, firstReference, excludeSelf, firstQuery, firstRow);
        });
    }

    /// <summary>Columns per compare in <see cref="OfferColumns"/>: 16 (four strips of 64 columns at a time) with AVX-512, else 8 (settable so that tests reach both).</summary>
    internal int ColumnLanes { get; init; } = Vector512.IsHardwareAccelerated ? 16 : 8;

    /// <summary>
    /// Offers a row-major block (rows × columns floats, all finite) by its columns: column j goes to the list of row
    /// <paramref name="firstRow"/> + j, and block row i is reference <paramref name="firstReference"/> + i. This is the
    /// transpose of a block already offered by rows, for the same-set search that computes each block once; the
    /// references must not include the rows' own queries. Each compare covers 16 (or 8) columns against their own
    /// thresholds, walking the rows in order, so every list still sees its references in increasing order.
    /// </summary>
    public void OfferColumns(float* block, int rows, int columns, int firstReference, int firstRow, int threads)
    {
        int width = ColumnLanes;
        int strips = (columns + width - 1) / width;
        int parts = Math.Max(1, Math.Min(threads, strips / 4));
        nint address = (nint)block;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = (int)((long)strips * p / parts) * width, end = Math.Min(columns, (int)((long)strips * (p + 1) / parts) * width);
            // Four strips (64 columns, four adjacent cache lines per row) at a time down all the rows: one strip at a
            // time read a single line per row, 16 KB apart, and waited on memory at almost every row.
            // The columns left over go by strips of 8, and the last few one at a time.
            int j = start;
            if (width == 16)
                for (; j + 64 <= end; j += 64)
                    OfferFourStrips512((float*)address + j, rows, columns, firstReference, firstRow + j);
            for (; j + 8 <= end; j += 8)
                OfferStrip256((float*)address + j, rows, columns, firstReference, firstRow + j);
            if (j < end)
                OfferStripByColumn((float*)address + j, rows, columns, end - j, firstReference, firstRow + j);
        });
    }

    // 64 columns (lists firstRow…firstRow + 63) down every row of the block, as four strips of 16.
    private void OfferFourStrips512(float* strip, int rows, int stride, int firstReference, int firstRow)
    {
        fixed (float* thresholds = &_thresholds[firstRow])
        {
            Vector512<float> above0 = Vector512.Load(thresholds), above1 = Vector512.Load(thresholds + 16),
                above2 = Vector512.Load(thresholds + 32), above3 = Vector512.Load(thresholds + 48);
            for (int i = 0; i < rows; i++)
            {
                float* values = strip + (long)i * stride;
                ulong mask0 = Vector512.GreaterThan(Vector512.Load(values), above0).ExtractMostSignificantBits();
                ulong mask1 = Vector512.GreaterThan(Vector512.Load(values + 16), above1).ExtractMostSignificantBits();
                ulong mask2 = Vector512.GreaterThan(Vector512.Load(values + 32), above2).ExtractMostSignificantBits();
                ulong mask3 = Vector512.GreaterThan(Vector512.Load(values + 48), above3).ExtractMostSignificantBits();
                if ((mask0 | mask1 | mask2 | mask3) == 0)
                    continue;
                if (mask0 != 0 && Insert(values, mask0, firstReference + i, firstRow))
                    above0 = Vector512.Load(thresholds);
                if (mask1 != 0 && Insert(values + 16, mask1, firstReference + i, firstRow + 16))
                    above1 = Vector512.Load(thresholds + 16);
                if (mask2 != 0 && Insert(values + 32, mask2, firstReference + i, firstRow + 32))
                    above2 = Vector512.Load(thresholds + 32);
                if (mask3 != 0 && Insert(values + 48, mask3, firstReference + i, firstRow + 48))
                    above3 = Vector512.Load(thresholds + 48);
            }
        }
    }

    // 8 columns (lists firstRow…firstRow + 7) down every row of the block.
    private void OfferStrip256(float* strip, int rows, int stride, int firstReference, int firstRow)
    {
        fixed (float* thresholds = &_thresholds[firstRow])
        {
            var above = Vector256.Load(thresholds);
            for (int i = 0; i < rows; i++)
            {
                float* values = strip + (long)i * stride;
                ulong mask = Vector256.GreaterThan(Vector256.Load(values), above).ExtractMostSignificantBits();
                if (mask == 0)
                    continue;
                if (Insert(values, mask, firstReference + i, firstRow))
                    above = Vector256.Load(thresholds);
            }
        }
    }

    // The last columns of a block, a row at a time.
    private void OfferStripByColumn(float* strip, int rows, int stride, int lanes, int firstReference, int firstRow)
    {
        for (int i = 0; i < rows; i++)
            for (int lane = 0; lane < lanes; lane++)
            {
                float value = strip[(long)i * stride + lane];
                if (value > _thresholds[firstRow + lane])
                    Insert(strip + (long)i * stride, 1UL << lane, firstReference + i, firstRow);
            }
    }

    // Appends values[lane] to list firstRow + lane for every lane in the mask; true when a list's threshold rose.
    private bool Insert(float* values, ulong mask, int reference, int firstRow)
    {
        bool raised = false;
        while (mask != 0)
        {
            int lane = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            int row = firstRow + lane;
            int count = _counts[row];
            ulong* keys = _keys + (long)row * _capacity;
            keys[count++] = Encode(values[lane], reference);
            if (count == _capacity)
            {
                count = Compact(keys, out _thresholds[row]);
                raised = true;
            }
            _counts[row] = count;
        }
        return raised;
    }

    /// <summary><see cref="Offer(float*, int, int, int, bool, int, int, int)"/> for a managed block.</summary>
    public void Offer(float[] block, int rows, int columns, int firstReference, bool excludeSelf, int firstQuery, int threads, int firstRow = 0)
    {
        if (block.Length < (long)rows * columns)
            throw new ArgumentException("the block is smaller than rows × columns", nameof(block));
        fixed (float* data = block)
            Offer(data, rows, columns, firstReference, excludeSelf, firstQuery, threads, firstRow);
    }

    private void OfferRows(nint block, int start, int end, int columns, int firstReference, bool excludeSelf, int firstQuery, int firstRow)
    {
        for (int row = start; row < end; row++)
        {
            long self = (long)firstQuery + row - firstReference; // column of the query itself, if in this block
            int selfColumn = excludeSelf && self >= 0 && self < columns ? (int)self : -1;
            OfferRow((float*)block + (long)row * columns, columns, firstReference, selfColumn, firstRow + row);
        }
    }

    private void OfferRow(float* values, int columns, int firstReference, int selfColumn, int row)
    {
        ulong* keys = _keys + (long)row * _capacity;
        int count = _counts[row];
        float threshold = _thresholds[row];
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 16 similarities per compare; only the lanes above the threshold are visited, in increasing column order.
            var above = Vector512.Create(threshold);
            for (; j <= columns - 16; j += 16)
            {
                ulong mask = Vector512.GreaterThan(Vector512.Load(values + j), above).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int lane = j + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    if (values[lane] <= threshold || lane == selfColumn) // the threshold may have risen meanwhile
                        continue;
                    keys[count++] = Encode(values[lane], firstReference + lane);
                    if (count == _capacity)
                    {
                        count = Compact(keys, out threshold);
                        above = Vector512.Create(threshold);
                    }
                }
            }
        }
        var thresholdVector = new Vector<float>(threshold);
        int width = Vector<float>.Count;
        for (; j <= columns - width; j += width)
        {
            if (!Vector.GreaterThanAny(Unsafe.ReadUnaligned<Vector<float>>(values + j), thresholdVector))
                continue;
            for (int lane = j; lane < j + width; lane++)
            {
                if (values[lane] > threshold && lane != selfColumn)
                {
                    keys[count++] = Encode(values[lane], firstReference + lane);
                    if (count == _capacity)
                    {
                        count = Compact(keys, out threshold);
                        thresholdVector = new Vector<float>(threshold);
                    }
                }
            }
        }
        for (; j < columns; j++)
        {
            if (values[j] > threshold && j != selfColumn)
            {
                keys[count++] = Encode(values[j], firstReference + j);
                if (count == _capacity)
                    count = Compact(keys, out threshold);
            }
        }
        _counts[row] = count;
        _thresholds[row] = threshold;
    }

    /// <summary>
    /// Shrinks a full buffer to a prefix that still holds its k best. One byte of the keys, the highest one in which
    /// they differ, splits them into 256 ordered buckets; the buckets that reach k best are kept whole (so equal keys
    /// stay together). When that keeps more than 1.5 k, an exact quickselect keeps the k best instead. Returns the new
    /// count; <paramref name="threshold"/> is the worst kept similarity.
    /// </summary>
    private int Compact(ulong* keys, out float threshold)
    {
        int count = _capacity;
        ulong any = 0, all = ulong.MaxValue;
        for (int i = 0; i < count; i++)
        {
            any |= keys[i];
            all &= keys[i];
        }
        ulong differing = any ^ all;
        int shift = Math.Max(0, 63 - BitOperations.LeadingZeroCount(differing) - 7);
        int* buckets = stackalloc int[256];
        new Span<int>(buckets, 256).Clear();
        for (int i = 0; i < count; i++)
            buckets[(int)((keys[i] >> shift) & 0xFF)]++;
        int last = -1, reached = 0;
        while (reached < _k)
            reached += buckets[++last];
        if (reached <= _k + _k / 2)
        {
            int kept = 0;
            ulong worst = 0;
            for (int i = 0; i < count; i++)
            {
                ulong key = keys[i];
                bool keep = (int)((key >> shift) & 0xFF) <= last;
                keys[kept] = key;
                kept += keep ? 1 : 0;
                worst = keep && key > worst ? key : worst;
            }
            threshold = DecodeValue(worst);
            return kept;
        }
        SelectSmallest(keys, count, _k);
        ulong kthWorst = 0;
        for (int i = 0; i < _k; i++)
            kthWorst = Math.Max(kthWorst, keys[i]);
        threshold = DecodeValue(kthWorst);
        return _k;
    }

    /// <summary>Writes each query's k neighbours best first into row-major rows × k outputs.</summary>
    public void Drain(long* indices, float* similarities, int threads) => Drain(0, _rows, indices, similarities, threads);

    /// <summary>Writes the k neighbours of rows <paramref name="firstRow"/>… (<paramref name="rows"/> of them) best first into row-major rows × k outputs.</summary>
    public void Drain(int firstRow, int rows, long* indices, float* similarities, int threads)
    {
        if (firstRow < 0 || firstRow + rows > _rows)
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows {firstRow}..{firstRow + rows - 1} are not among the {_rows} rows");
        nint indexAddress = (nint)indices, similarityAddress = (nint)similarities;
        int parts = Math.Max(1, Math.Min(threads, rows / 64));
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = (int)((long)rows * p / parts), end = (int)((long)rows * (p + 1) / parts);
            var scratch = new ulong[_capacity];
            for (int row = start; row < end; row++)
            {
                int count = _counts[firstRow + row];
                if (count < _k)
                    throw new InvalidOperationException($"query {firstRow + row} of the chunk has {count} of {_k} neighbours");
                ulong* keys = _keys + (long)(firstRow + row) * _capacity;
                fixed (ulong* temp = scratch)
                {
                    RadixSort(keys, temp, count);
                    var best = new Span<ulong>(keys, _k);
                    long* outIndices = (long*)indexAddress + (long)row * _k;
                    float* outValues = (float*)similarityAddress + (long)row * _k;
                    for (int i = 0; i < _k; i++)
                    {
                        outIndices[i] = (long)(uint)best[i];
                        outValues[i] = DecodeValue(best[i]);
                    }
                }
            }
        });
    }

    /// <summary><see cref="Drain(long*, float*, int)"/> into managed arrays of at least rows × k.</summary>
    public void Drain(long[] indices, float[] similarities, int threads)
    {
        if (indices.Length < (long)_rows * _k || similarities.Length < (long)_rows * _k)
            throw new ArgumentException("the outputs are smaller than rows × k");
        fixed (long* i = indices)
        fixed (float* s = similarities)
            Drain(i, s, threads);
    }

    /// <summary>
    /// A key whose ascending order is the neighbour order: the high 32 bits hold the similarity mapped to an
    /// unsigned integer that decreases as the similarity grows (−0 counts as +0), the low 32 bits the index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Encode(float value, int index)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value + 0f);
        uint ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ascending << 32) | (uint)index;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DecodeValue(ulong key)
    {
        uint ascending = ~(uint)(key >> 32);
        uint bits = (ascending & 0x8000_0000u) != 0 ? ascending & 0x7FFF_FFFFu : ~ascending;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>LSD radix sort of <paramref name="count"/> keys by bytes, skipping bytes that all keys share.</summary>
    private static void RadixSort(ulong* keys, ulong* temp, int count)
    {
        int* histograms = stackalloc int[8 * 256];
        new Span<int>(histograms, 8 * 256).Clear();
        for (int i = 0; i < count; i++)
        {
            ulong key = keys[i];
            for (int d = 0; d < 8; d++)
                histograms[d * 256 + (int)((key >> (8 * d)) & 0xFF)]++;
        }
        ulong* source = keys, target = temp;
        for (int d = 0; d < 8; d++)
        {
            int* histogram = histograms + d * 256;
            int shift = 8 * d;
            if (histogram[(int)((source[0] >> shift) & 0xFF)] == count)
                continue; // every key has the same byte here
            int offset = 0;
            for (int b = 0; b < 256; b++)
                (histogram[b], offset) = (offset, offset + histogram[b]);
            for (int i = 0; i < count; i++)
            {
                ulong key = source[i];
                target[histogram[(int)((key >> shift) & 0xFF)]++] = key;
            }
            ulong* swap = source;
            source = target;
            target = swap;
        }
        if (source != keys)
            new Span<ulong>(source, count).CopyTo(new Span<ulong>(keys, count));
    }

    /// <summary>Quickselect (Hoare partition; keys are distinct): moves the <paramref name="k"/> smallest of the first <paramref name="count"/> to the front.</summary>
    private static void SelectSmallest(ulong* keys, int count, int k)
    {
        int target = k - 1, lo = 0, hi = count - 1;
        while (lo < hi)
        {
            ulong a = keys[lo], b = keys[lo + (hi - lo) / 2], c = keys[hi];
            ulong pivot = Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c)); // median of three
            int i = lo - 1, j = hi + 1;
            while (true)
            {
                do i++; while (keys[i] < pivot);
                do j--; while (keys[j] > pivot);
                if (i >= j)
                    break;
                (keys[i], keys[j]) = (keys[j], keys[i]);
            }
            if (target <= j)
                hi = j;
            else
                lo = j + 1;
        }
    }
}
