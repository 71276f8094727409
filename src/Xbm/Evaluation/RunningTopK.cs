using System.Numerics;
using System.Runtime.CompilerServices;

namespace Xbm.Evaluation;

/// <summary>
/// The running top-k of a chunk of queries, one binary heap per query whose root is the worst kept neighbour.
/// Order: higher similarity first, and among equal similarities the lower reference index first. Blocks must be
/// offered in increasing reference order; then a later candidate never beats an equal kept one, so a candidate
/// enters only when strictly above the root, which a SIMD compare rejects for whole vectors at a time.
/// </summary>
internal sealed unsafe class RunningTopK
{
    private readonly int _k;
    private readonly float[] _values;
    private readonly int[] _indices;
    private readonly int[] _counts;
    private int _rows;

    /// <summary>Room for <paramref name="maxRows"/> queries with <paramref name="k"/> neighbours each.</summary>
    public RunningTopK(int maxRows, int k)
    {
        _k = k;
        _values = new float[(long)maxRows * k];
        _indices = new int[(long)maxRows * k];
        _counts = new int[maxRows];
    }

    /// <summary>Starts a new chunk of <paramref name="rows"/> queries with empty heaps.</summary>
    public void Reset(int rows)
    {
        _rows = rows;
        Array.Clear(_counts, 0, rows);
    }

    /// <summary>
    /// Offers a row-major block (rows × columns floats) whose column j is reference <paramref name="firstReference"/> + j.
    /// In same-set mode (<paramref name="excludeSelf"/>) row i is query <paramref name="firstQuery"/> + i and skips the
    /// reference with that same index.
    /// </summary>
    public void Offer(float* block, int rows, int columns, int firstReference, bool excludeSelf, int firstQuery, int threads)
    {
        int parts = Math.Max(1, Math.Min(threads, rows / 16));
        nint address = (nint)block;
        if (parts == 1)
        {
            OfferRows(address, 0, rows, columns, firstReference, excludeSelf, firstQuery);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = (int)((long)rows * p / parts), end = (int)((long)rows * (p + 1) / parts);
            OfferRows(address, start, end, columns, firstReference, excludeSelf, firstQuery);
        });
    }

    private void OfferRows(nint block, int start, int end, int columns, int firstReference, bool excludeSelf, int firstQuery)
    {
        for (int row = start; row < end; row++)
        {
            long self = (long)firstQuery + row - firstReference; // column of the query itself, if in this block
            int selfColumn = excludeSelf && self >= 0 && self < columns ? (int)self : -1;
            OfferRow((float*)block + (long)row * columns, columns, firstReference, selfColumn, row);
        }
    }

    private void OfferRow(float* values, int columns, int firstReference, int selfColumn, int row)
    {
        fixed (float* heapValues = &_values[(long)row * _k])
        fixed (int* heapIndices = &_indices[(long)row * _k])
        {
            int count = _counts[row];
            int j = 0;
            // Fill phase: the first k references enter unconditionally.
            for (; j < columns && count < _k; j++)
            {
                if (j != selfColumn)
                    Push(heapValues, heapIndices, ref count, values[j], firstReference + j);
            }
            _counts[row] = count;
            if (j == columns)
                return;

            float threshold = heapValues[0];
            var thresholdVector = new Vector<float>(threshold);
            int width = Vector<float>.Count;
            for (; j <= columns - width; j += width)
            {
                var chunk = Unsafe.ReadUnaligned<Vector<float>>(values + j);
                if (!Vector.GreaterThanAny(chunk, thresholdVector))
                    continue;
                for (int lane = j; lane < j + width; lane++)
                {
                    if (values[lane] > threshold && lane != selfColumn)
                    {
                        ReplaceRoot(heapValues, heapIndices, values[lane], firstReference + lane);
                        threshold = heapValues[0];
                    }
                }
                thresholdVector = new Vector<float>(threshold);
            }
            for (; j < columns; j++)
            {
                if (values[j] > threshold && j != selfColumn)
                {
                    ReplaceRoot(heapValues, heapIndices, values[j], firstReference + j);
                    threshold = heapValues[0];
                }
            }
        }
    }

    /// <summary>Writes each query's neighbours best first into row-major rows × k outputs.</summary>
    public void Drain(long* indices, float* similarities, int threads)
    {
        nint indexAddress = (nint)indices, similarityAddress = (nint)similarities;
        int parts = Math.Max(1, Math.Min(threads, _rows / 64));
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int start = (int)((long)_rows * p / parts), end = (int)((long)_rows * (p + 1) / parts);
            for (int row = start; row < end; row++)
            {
                if (_counts[row] != _k)
                    throw new InvalidOperationException($"query {row} of the chunk has {_counts[row]} of {_k} neighbours");
                fixed (float* heapValues = &_values[(long)row * _k])
                fixed (int* heapIndices = &_indices[(long)row * _k])
                {
                    // Heap sort: moving the worst to the end each time leaves the row best first.
                    for (int size = _k - 1; size > 0; size--)
                    {
                        (heapValues[0], heapValues[size]) = (heapValues[size], heapValues[0]);
                        (heapIndices[0], heapIndices[size]) = (heapIndices[size], heapIndices[0]);
                        SiftDown(heapValues, heapIndices, 0, size);
                    }
                    long* outIndices = (long*)indexAddress + (long)row * _k;
                    float* outValues = (float*)similarityAddress + (long)row * _k;
                    for (int i = 0; i < _k; i++)
                    {
                        outIndices[i] = heapIndices[i];
                        outValues[i] = heapValues[i];
                    }
                }
            }
        });
    }

    /// <summary>True when (va, ia) ranks after (vb, ib): lower similarity, or equal similarity and higher index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Worse(float va, int ia, float vb, int ib) => va < vb || (va == vb && ia > ib);

    private static void Push(float* values, int* indices, ref int count, float value, int index)
    {
        int i = count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Worse(value, index, values[parent], indices[parent]))
                break;
            values[i] = values[parent];
            indices[i] = indices[parent];
            i = parent;
        }
        values[i] = value;
        indices[i] = index;
    }

    private void ReplaceRoot(float* values, int* indices, float value, int index)
    {
        values[0] = value;
        indices[0] = index;
        SiftDown(values, indices, 0, _k);
    }

    private static void SiftDown(float* values, int* indices, int i, int size)
    {
        float value = values[i];
        int index = indices[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size)
                break;
            if (child + 1 < size && Worse(values[child + 1], indices[child + 1], values[child], indices[child]))
                child++;
            if (!Worse(values[child], indices[child], value, index))
                break;
            values[i] = values[child];
            indices[i] = indices[child];
            i = child;
        }
        values[i] = value;
        indices[i] = index;
    }
}
