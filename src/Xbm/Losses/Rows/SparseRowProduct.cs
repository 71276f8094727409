using System.Numerics;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// The gradient product G·K of a host row evaluation taken from G's non-zero entries alone, when they are few.
/// </summary>
/// <remarks>
/// A hinge or mined loss over a memory (contrastive, triplet, the miners) gives most of its B×M pairs a zero
/// gradient: once training has settled, few memory pairs violate the margin. The dense product then multiplies
/// mostly zeros, at the cost of a full B×M×d product (about half of the step). Here each row of G is scanned
/// (16 entries per compare) and every non-zero g_ij adds g_ij·K_j to row i of the product, in increasing j, so the
/// result does not depend on the thread count. That costs about one K row read per non-zero, so it pays while at
/// most <see cref="MaxDensity"/> of G is non-zero. The decision needs the count of all of G before any row is
/// summed: a row summed on a partial count wastes up to M key rows (the whole memory read) when G proves dense. The
/// host row evaluation counts each row while it is still in cache (<see cref="RowTotals.GradientNonZero"/>).
/// </remarks>
internal static unsafe class SparseRowProduct
{
    /// <summary>The largest share of non-zero entries of G for which the sparse product is used (1/64).</summary>
    public const double MaxDensity = 1.0 / 64;

    /// <summary>
    /// G·K (B×d float32) from <paramref name="gradient"/> (B×M, CPU, float32, contiguous) and <paramref name="keys"/>
    /// (M×d, CPU, float32); null when more than <paramref name="maxDensity"/> of G is non-zero. G is counted first
    /// (stopping as soon as it proves denser), so a dense G costs the count of a few rows.
    /// </summary>
    public static Tensor? TryMultiply(Tensor gradient, Tensor keys, int threads, double maxDensity = MaxDensity)
    {
        int rows = (int)gradient.shape[0], columns = (int)gradient.shape[1];
        long limit = Limit(rows, columns, maxDensity);
        var counts = new long[rows];
        nint g = RowEvaluator.Address(gradient);
        long nonZero = 0;
        int next = -1;
        int parts = Math.Max(1, Math.Min(threads, rows));
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < rows; i = Interlocked.Increment(ref next))
            {
                counts[i] = CountNonZero(new ReadOnlySpan<float>((float*)g + (long)i * columns, columns));
                if (Interlocked.Add(ref nonZero, counts[i]) > limit)
                {
                    next = rows; // G is too dense: stop every thread
                    break;
                }
            }
        });
        return nonZero > limit ? null : Multiply(gradient, keys, counts, threads);
    }

    /// <summary>The largest number of non-zero entries of a <paramref name="rows"/>×<paramref name="columns"/> G taken sparse.</summary>
    public static long Limit(long rows, long columns, double maxDensity = MaxDensity) => (long)(maxDensity * rows * columns);

    /// <summary>
    /// G·K (B×d float32) from the non-zero entries of <paramref name="gradient"/> (B×M, CPU, float32, contiguous),
    /// given each row's number of them (<paramref name="rowNonZero"/>, from <see cref="CountNonZero"/>): rows without
    /// any are skipped.
    /// </summary>
    public static Tensor Multiply(Tensor gradient, Tensor keys, long[] rowNonZero, int threads)
    {
        int rows = (int)gradient.shape[0], columns = (int)gradient.shape[1], d = (int)keys.shape[1];
        using var hostKeys = keys.contiguous();
        var product = zeros(rows, d, dtype: ScalarType.Float32);
        nint g = RowEvaluator.Address(gradient), k = RowEvaluator.Address(hostKeys), p = RowEvaluator.Address(product);
        int next = -1;
        int parts = Math.Max(1, Math.Min(threads, rows));
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < rows; i = Interlocked.Increment(ref next))
                if (rowNonZero[i] > 0)
                    AddRow((float*)g + (long)i * columns, columns, (float*)k, d, (float*)p + (long)i * d);
        });
        return product;
    }

    /// <summary>The number of non-zero entries of one row of G.</summary>
    public static long CountNonZero(ReadOnlySpan<float> row)
    {
        long found = 0;
        int j = 0;
        fixed (float* g = row)
        {
            if (Vector512.IsHardwareAccelerated)
                for (; j <= row.Length - 16; j += 16)
                    found += BitOperations.PopCount(~Vector512.Equals(Vector512.Load(g + j), Vector512<float>.Zero).ExtractMostSignificantBits() & 0xFFFF);
            for (; j < row.Length; j++)
                found += g[j] != 0 ? 1 : 0;
        }
        return found;
    }

    /// <summary>output += Σ_j g_j · K_j over the non-zero g_j of one row, in increasing j.</summary>
    private static void AddRow(float* g, int columns, float* keys, int d, float* output)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= columns - 16; j += 16)
            {
                ulong mask = ~Vector512.Equals(Vector512.Load(g + j), Vector512<float>.Zero).ExtractMostSignificantBits() & 0xFFFF;
                while (mask != 0)
                {
                    int column = j + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    Axpy(g[column], keys + (long)column * d, output, d);
                }
            }
        }
        for (; j < columns; j++)
        {
            if (g[j] != 0)
                Axpy(g[j], keys + (long)j * d, output, d);
        }
    }

    /// <summary>y += a·x over <paramref name="length"/> floats.</summary>
    private static void Axpy(float a, float* x, float* y, int length)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var scale = Vector512.Create(a);
            for (; i <= length - 16; i += 16)
                Vector512.Store(Vector512.FusedMultiplyAdd(scale, Vector512.Load(x + i), Vector512.Load(y + i)), y + i);
        }
        var scale256 = Vector256.Create(a);
        for (; i <= length - 8; i += 8)
            Vector256.Store(Vector256.Load(y + i) + scale256 * Vector256.Load(x + i), y + i);
        for (; i < length; i++)
            y[i] += a * x[i];
    }
}
