using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18, benchmark only: the memory loss's gradient product G·K for a dense G computed on the host (the library
/// keeps libtorch's product; docs/benchmarks.md, "Sixth session", gives the measurements and the reason).
/// </summary>
/// <remarks>
/// The threads split d, not the memory: each owns slices of 32 columns of the product and sums them over every key in
/// increasing order, so the result does not depend on the thread count, and each reads only its own columns of the
/// memory. Within a thread, the memory is taken 256 keys at a time; for one slice of d the chunk's 32 columns (32 KB)
/// stay in the first-level cache while every tile of 8 queries runs over them, keeping its 8 × 32 sums in 16 vector
/// registers and broadcasting one g_ij per query and key.
/// </remarks>
internal static unsafe class HostGradientProduct
{
    private const int QueriesPerTile = 8, ColumnsPerSlice = 32, Lanes = 16, KeysPerChunk = 256;

    /// <summary>
    /// Whether the host product applies: float32 CPU keys whose width is a multiple of 32, with 512-bit vectors
    /// available.
    /// </summary>
    public static bool Applies(Tensor keys) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported
        && keys.device_type == DeviceType.CPU && keys.dtype == ScalarType.Float32 && keys.dim() == 2
        && keys.shape[1] % ColumnsPerSlice == 0;

    /// <summary>
    /// G·K (B×d float32) from <paramref name="gradient"/> (B×M, CPU, float32, contiguous) and <paramref name="keys"/>
    /// (M×d, CPU, float32), using up to <paramref name="threads"/> threads.
    /// </summary>
    public static Tensor Multiply(Tensor gradient, Tensor keys, int threads)
    {
        int b = (int)gradient.shape[0], m = (int)gradient.shape[1], d = (int)keys.shape[1];
        int padded = (b + QueriesPerTile - 1) / QueriesPerTile * QueriesPerTile;
        using var hostKeys = keys.contiguous();
        var product = zeros(padded, d, dtype: ScalarType.Float32);
        // Rows past the last query read zeros: one row of M zeros stands for all of them.
        var zeroRow = new float[padded > b ? m : 0];
        nint g = HostAddress.Of(gradient), k = HostAddress.Of(hostKeys), p = HostAddress.Of(product);
        int slices = d / ColumnsPerSlice;
        int parts = Math.Max(1, Math.Min(threads, slices));
        fixed (float* zeros = zeroRow)
        {
            nint zerosAddress = (nint)zeros;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                int first = slices * part / parts, end = slices * (part + 1) / parts;
                var rows = new nint[padded];
                for (int r = 0; r < padded; r++)
                    rows[r] = r < b ? g + (nint)((long)r * m * sizeof(float)) : zerosAddress;
                for (int j = 0; j < m; j += KeysPerChunk)
                {
                    int count = Math.Min(KeysPerChunk, m - j);
                    for (int slice = first; slice < end; slice++)
                        for (int i = 0; i < padded; i += QueriesPerTile)
                            Tile(rows, i, j, count, (float*)k + (long)j * d + slice * ColumnsPerSlice, d,
                                (float*)p + (long)i * d + slice * ColumnsPerSlice);
                }
            });
        }
        if (padded == b)
            return product;
        using (product)
            return product.narrow(0, 0, b).contiguous();
    }

    // product[r, 0..32) += Σ_c G[i + r, j + c]·K[j + c, 0..32) for the tile's 8 queries and the chunk's keys.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile(nint[] rows, int i, int j, int count, float* k, int d, float* product)
    {
        float* g0 = (float*)rows[i] + j, g1 = (float*)rows[i + 1] + j, g2 = (float*)rows[i + 2] + j, g3 = (float*)rows[i + 3] + j;
        float* g4 = (float*)rows[i + 4] + j, g5 = (float*)rows[i + 5] + j, g6 = (float*)rows[i + 6] + j, g7 = (float*)rows[i + 7] + j;
        var a00 = Vector512.Load(product); var a01 = Vector512.Load(product + Lanes);
        var a10 = Vector512.Load(product + d); var a11 = Vector512.Load(product + d + Lanes);
        var a20 = Vector512.Load(product + 2 * d); var a21 = Vector512.Load(product + 2 * d + Lanes);
        var a30 = Vector512.Load(product + 3 * d); var a31 = Vector512.Load(product + 3 * d + Lanes);
        var a40 = Vector512.Load(product + 4 * d); var a41 = Vector512.Load(product + 4 * d + Lanes);
        var a50 = Vector512.Load(product + 5 * d); var a51 = Vector512.Load(product + 5 * d + Lanes);
        var a60 = Vector512.Load(product + 6 * d); var a61 = Vector512.Load(product + 6 * d + Lanes);
        var a70 = Vector512.Load(product + 7 * d); var a71 = Vector512.Load(product + 7 * d + Lanes);
        for (int c = 0; c < count; c++, k += d)
        {
            var k0 = Vector512.Load(k);
            var k1 = Vector512.Load(k + Lanes);
            var x = Vector512.Create(g0[c]);
            a00 = Vector512.FusedMultiplyAdd(k0, x, a00); a01 = Vector512.FusedMultiplyAdd(k1, x, a01);
            x = Vector512.Create(g1[c]);
            a10 = Vector512.FusedMultiplyAdd(k0, x, a10); a11 = Vector512.FusedMultiplyAdd(k1, x, a11);
            x = Vector512.Create(g2[c]);
            a20 = Vector512.FusedMultiplyAdd(k0, x, a20); a21 = Vector512.FusedMultiplyAdd(k1, x, a21);
            x = Vector512.Create(g3[c]);
            a30 = Vector512.FusedMultiplyAdd(k0, x, a30); a31 = Vector512.FusedMultiplyAdd(k1, x, a31);
            x = Vector512.Create(g4[c]);
            a40 = Vector512.FusedMultiplyAdd(k0, x, a40); a41 = Vector512.FusedMultiplyAdd(k1, x, a41);
            x = Vector512.Create(g5[c]);
            a50 = Vector512.FusedMultiplyAdd(k0, x, a50); a51 = Vector512.FusedMultiplyAdd(k1, x, a51);
            x = Vector512.Create(g6[c]);
            a60 = Vector512.FusedMultiplyAdd(k0, x, a60); a61 = Vector512.FusedMultiplyAdd(k1, x, a61);
            x = Vector512.Create(g7[c]);
            a70 = Vector512.FusedMultiplyAdd(k0, x, a70); a71 = Vector512.FusedMultiplyAdd(k1, x, a71);
        }
        a00.Store(product); a01.Store(product + Lanes);
        a10.Store(product + d); a11.Store(product + d + Lanes);
        a20.Store(product + 2 * d); a21.Store(product + 2 * d + Lanes);
        a30.Store(product + 3 * d); a31.Store(product + 3 * d + Lanes);
        a40.Store(product + 4 * d); a41.Store(product + 4 * d + Lanes);
        a50.Store(product + 5 * d); a51.Store(product + 5 * d + Lanes);
        a60.Store(product + 6 * d); a61.Store(product + 6 * d + Lanes);
        a70.Store(product + 7 * d); a71.Store(product + 7 * d + Lanes);
    }
}
