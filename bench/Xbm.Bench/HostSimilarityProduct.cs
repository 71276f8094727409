using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18, benchmark only: the memory loss's S = Q·Kᵀ computed on the host, reading the keys where they lie instead
/// of packing them first as a BLAS product does (the library keeps libtorch's product; docs/benchmarks.md, "Sixth
/// session", gives the measurements and the reason).
/// </summary>
/// <remarks>
/// Only Q is packed, transposed, in blocks of 32 queries (d × 32, 64 KB at d = 512, in the second-level cache). A tile
/// of 12 keys × 32 queries keeps its 24 sums in vector registers, broadcasting one key value against two vectors of
/// 16 queries per step of d, and prefetches the next tile's keys one cache line per key every 16 steps. The sums are
/// transposed in registers and written 12 values per row of S. Each key row is read from memory once; the threads
/// take chunks of 1,008 keys (whole cache lines of S).
/// </remarks>
internal static unsafe class HostSimilarityProduct
{
    internal const int KeysPerTile = 12, QueriesPerTile = 32, Lanes = 16;
    private const int KeysPerChunk = 1_008; // a multiple of KeysPerTile and of 16 (whole cache lines of S): the unit of work handed to a thread

    /// <summary>
    /// Whether the host product applies: float32 CPU queries and keys with 512-bit vectors available.
    /// </summary>
    public static bool Applies(Tensor queries, Tensor keys) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported
        && queries.device_type == DeviceType.CPU && keys.device_type == DeviceType.CPU
        && queries.dtype == ScalarType.Float32 && keys.dtype == ScalarType.Float32
        && queries.dim() == 2 && keys.dim() == 2 && queries.shape[1] == keys.shape[1];

    /// <summary>
    /// Writes S = <paramref name="queries"/>·<paramref name="keys"/>ᵀ into <paramref name="similarities"/>
    /// (B×M float32, contiguous), using up to <paramref name="threads"/> threads.
    /// </summary>
    public static void Multiply(Tensor queries, Tensor keys, Tensor similarities, int threads)
    {
        int b = (int)queries.shape[0], m = (int)keys.shape[0], d = (int)queries.shape[1];
        if (b == 0 || m == 0)
            return;
        int blocks = (b + QueriesPerTile - 1) / QueriesPerTile;
        using var hostKeys = keys.contiguous();
        var packed = GC.AllocateUninitializedArray<float>(blocks * d * QueriesPerTile, pinned: true);
        using (var hostQueries = queries.detach().contiguous())
            PackTransposed((float*)HostAddress.Of(hostQueries), b, d, packed);
        nint k = HostAddress.Of(hostKeys), s = HostAddress.Of(similarities);
        fixed (float* qt = packed)
        {
            nint qtAddress = (nint)qt;
            int chunks = (m + KeysPerChunk - 1) / KeysPerChunk, next = -1;
            int parts = Math.Max(1, Math.Min(threads, chunks));
            int sumsLength = KeysPerTile * QueriesPerTile;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, _ =>
            {
                var sums = GC.AllocateUninitializedArray<float>(sumsLength, pinned: true);
                fixed (float* sumsAddress = sums)
                    for (int c = Interlocked.Increment(ref next); c < chunks; c = Interlocked.Increment(ref next))
                    {
                        int first = c * KeysPerChunk, end = Math.Min(m, first + KeysPerChunk);
                        MultiplyChunk((float*)qtAddress, b, (float*)k, d, first, end, (float*)s, m, sumsAddress);
                    }
            });
        }
    }

    // Block by block of 32 queries: packed[(i / 32)·d·32 + t·32 + i % 32] = Q[i, t] (zero past the last query), so
    // that a tile reads its queries' 128 bytes per step of d one after the other.
    internal static void PackTransposed(float* q, int b, int d, float[] packed)
    {
        Array.Clear(packed);
        for (int i = 0; i < b; i++)
        {
            int offset = i / QueriesPerTile * d * QueriesPerTile + i % QueriesPerTile;
            for (int t = 0; t < d; t++)
                packed[offset + t * QueriesPerTile] = q[(long)i * d + t];
        }
    }

    private static void MultiplyChunk(float* qt, int b, float* k, int d, int first, int end, float* s, int m, float* sums)
    {
        int blocks = (b + QueriesPerTile - 1) / QueriesPerTile;
        int j = first;
        for (; j + KeysPerTile <= end; j += KeysPerTile)
            for (int i = 0; i < blocks; i++)
            {
                Tile(qt + (long)i * d * QueriesPerTile, k + (long)j * d, d, sums, k + (long)Math.Min(j + KeysPerTile, end - KeysPerTile) * d);
                TransposeTile(sums, s + (long)i * QueriesPerTile * m + j, m, Math.Min(QueriesPerTile, b - i * QueriesPerTile));
            }
        for (; j < end; j++)
            for (int i = 0; i < blocks; i++)
            {
                Column(qt + (long)i * d * QueriesPerTile, k + (long)j * d, d, sums);
                ScatterColumn(sums, s + (long)i * QueriesPerTile * m + j, m, Math.Min(QueriesPerTile, b - i * QueriesPerTile));
            }
    }

    // 12 keys × 32 queries: sums[c·32 + r] = Σ_t Qᵀ[t, r]·K[c, t].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile(float* qt, float* k, int d, float* sums, float* next)
    {
        Vector512<float> a000 = default, a001 = default, a010 = default, a011 = default, a020 = default, a021 = default, a030 = default, a031 = default, a040 = default, a041 = default, a050 = default, a051 = default;
        Vector512<float> a060 = default, a061 = default, a070 = default, a071 = default, a080 = default, a081 = default, a090 = default, a091 = default, a100 = default, a101 = default, a110 = default, a111 = default;
        // Four row pointers and two offsets address the 12 keys (row, row + d, row + 2d), so that the loop does no
        // index arithmetic of its own.
        float* r0 = k, r3 = k + 3 * d, r6 = k + 6 * d, r9 = k + 9 * d;
        nint one = d, two = 2 * d;
        for (int t = 0; t < d; t++, qt += QueriesPerTile, r0++, r3++, r6++, r9++)
        {
            if ((t & 15) == 0)
            {
                float* line = next + t;
                for (int c = 0; c < KeysPerTile; c++, line += d)
                    Sse.Prefetch0(line);
            }
            var q0 = Vector512.Load(qt);
            var q1 = Vector512.Load(qt + Lanes);
            var x0 = Vector512.Create(r0[0]);
            a000 = Vector512.FusedMultiplyAdd(q0, x0, a000); a001 = Vector512.FusedMultiplyAdd(q1, x0, a001);
            var x1 = Vector512.Create(r0[one]);
            a010 = Vector512.FusedMultiplyAdd(q0, x1, a010); a011 = Vector512.FusedMultiplyAdd(q1, x1, a011);
            var x2 = Vector512.Create(r0[two]);
            a020 = Vector512.FusedMultiplyAdd(q0, x2, a020); a021 = Vector512.FusedMultiplyAdd(q1, x2, a021);
            var x3 = Vector512.Create(r3[0]);
            a030 = Vector512.FusedMultiplyAdd(q0, x3, a030); a031 = Vector512.FusedMultiplyAdd(q1, x3, a031);
            var x4 = Vector512.Create(r3[one]);
            a040 = Vector512.FusedMultiplyAdd(q0, x4, a040); a041 = Vector512.FusedMultiplyAdd(q1, x4, a041);
            var x5 = Vector512.Create(r3[two]);
            a050 = Vector512.FusedMultiplyAdd(q0, x5, a050); a051 = Vector512.FusedMultiplyAdd(q1, x5, a051);
            var x6 = Vector512.Create(r6[0]);
            a060 = Vector512.FusedMultiplyAdd(q0, x6, a060); a061 = Vector512.FusedMultiplyAdd(q1, x6, a061);
            var x7 = Vector512.Create(r6[one]);
            a070 = Vector512.FusedMultiplyAdd(q0, x7, a070); a071 = Vector512.FusedMultiplyAdd(q1, x7, a071);
            var x8 = Vector512.Create(r6[two]);
            a080 = Vector512.FusedMultiplyAdd(q0, x8, a080); a081 = Vector512.FusedMultiplyAdd(q1, x8, a081);
            var x9 = Vector512.Create(r9[0]);
            a090 = Vector512.FusedMultiplyAdd(q0, x9, a090); a091 = Vector512.FusedMultiplyAdd(q1, x9, a091);
            var x10 = Vector512.Create(r9[one]);
            a100 = Vector512.FusedMultiplyAdd(q0, x10, a100); a101 = Vector512.FusedMultiplyAdd(q1, x10, a101);
            var x11 = Vector512.Create(r9[two]);
            a110 = Vector512.FusedMultiplyAdd(q0, x11, a110); a111 = Vector512.FusedMultiplyAdd(q1, x11, a111);
        }
        a000.Store(sums + 0); a001.Store(sums + 16);
        a010.Store(sums + 32); a011.Store(sums + 48);
        a020.Store(sums + 64); a021.Store(sums + 80);
        a030.Store(sums + 96); a031.Store(sums + 112);
        a040.Store(sums + 128); a041.Store(sums + 144);
        a050.Store(sums + 160); a051.Store(sums + 176);
        a060.Store(sums + 192); a061.Store(sums + 208);
        a070.Store(sums + 224); a071.Store(sums + 240);
        a080.Store(sums + 256); a081.Store(sums + 272);
        a090.Store(sums + 288); a091.Store(sums + 304);
        a100.Store(sums + 320); a101.Store(sums + 336);
        a110.Store(sums + 352); a111.Store(sums + 368);
    }

    // One key × 32 queries over all of d (the memory's last keys when M is not a multiple of the tile).
    private static void Column(float* qt, float* k, int d, float* sums)
    {
        Vector512<float> a0 = default, a1 = default;
        for (int t = 0; t < d; t++, qt += QueriesPerTile)
        {
            var x = Vector512.Create(k[t]);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(qt), x, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(qt + Lanes), x, a1);
        }
        a0.Store(sums); a1.Store(sums + 16);
    }

    // sums[r] → S[r, 0] for r < rows (one key's column: the memory's last keys).
    private static void ScatterColumn(float* sums, float* s, int m, int rows)
    {
        for (int r = 0; r < rows; r++, s += m)
            *s = sums[r];
    }

    // sums[c·32 + r] → S[r, c] for r < rows and the tile's 12 keys, 16 queries at a time: the 12 key vectors of 16
    // queries (and 4 zero vectors) are transposed in registers, so that each query's 12 values are written at once.
    internal static void TransposeTile(float* sums, float* s, long m, int rows)
    {
        Span<Vector512<float>> u = stackalloc Vector512<float>[16];
        for (int v = 0; v < QueriesPerTile / Lanes && v * Lanes < rows; v++)
        {
            float* column = sums + v * Lanes;
            var zero = Vector512<float>.Zero;
            // Within each 128-bit lane: pairs of keys, then groups of four (keys 12 to 15 are zero).
            var t0 = Avx512F.UnpackLow(Vector512.Load(column), Vector512.Load(column + QueriesPerTile));
            var t1 = Avx512F.UnpackHigh(Vector512.Load(column), Vector512.Load(column + QueriesPerTile));
            var t2 = Avx512F.UnpackLow(Vector512.Load(column + 2 * QueriesPerTile), Vector512.Load(column + 3 * QueriesPerTile));
            var t3 = Avx512F.UnpackHigh(Vector512.Load(column + 2 * QueriesPerTile), Vector512.Load(column + 3 * QueriesPerTile));
            var t4 = Avx512F.UnpackLow(Vector512.Load(column + 4 * QueriesPerTile), Vector512.Load(column + 5 * QueriesPerTile));
            var t5 = Avx512F.UnpackHigh(Vector512.Load(column + 4 * QueriesPerTile), Vector512.Load(column + 5 * QueriesPerTile));
            var t6 = Avx512F.UnpackLow(Vector512.Load(column + 6 * QueriesPerTile), Vector512.Load(column + 7 * QueriesPerTile));
            var t7 = Avx512F.UnpackHigh(Vector512.Load(column + 6 * QueriesPerTile), Vector512.Load(column + 7 * QueriesPerTile));
            var t8 = Avx512F.UnpackLow(Vector512.Load(column + 8 * QueriesPerTile), Vector512.Load(column + 9 * QueriesPerTile));
            var t9 = Avx512F.UnpackHigh(Vector512.Load(column + 8 * QueriesPerTile), Vector512.Load(column + 9 * QueriesPerTile));
            var t10 = Avx512F.UnpackLow(Vector512.Load(column + 10 * QueriesPerTile), Vector512.Load(column + 11 * QueriesPerTile));
            var t11 = Avx512F.UnpackHigh(Vector512.Load(column + 10 * QueriesPerTile), Vector512.Load(column + 11 * QueriesPerTile));
            u[0] = Avx512F.Shuffle(t0, t2, 0x44); u[1] = Avx512F.Shuffle(t0, t2, 0xEE);
            u[2] = Avx512F.Shuffle(t1, t3, 0x44); u[3] = Avx512F.Shuffle(t1, t3, 0xEE);
            u[4] = Avx512F.Shuffle(t4, t6, 0x44); u[5] = Avx512F.Shuffle(t4, t6, 0xEE);
            u[6] = Avx512F.Shuffle(t5, t7, 0x44); u[7] = Avx512F.Shuffle(t5, t7, 0xEE);
            u[8] = Avx512F.Shuffle(t8, t10, 0x44); u[9] = Avx512F.Shuffle(t8, t10, 0xEE);
            u[10] = Avx512F.Shuffle(t9, t11, 0x44); u[11] = Avx512F.Shuffle(t9, t11, 0xEE);
            u[12] = u[13] = u[14] = u[15] = zero;
            // Across the 128-bit lanes: query 4L + k of the 16 takes lane L of u[k], u[4 + k], u[8 + k] and u[12 + k].
            float* row = s + (long)v * Lanes * m;
            int count = Math.Min(Lanes, rows - v * Lanes);
            for (int k = 0; k < 4; k++)
            {
                var even = Avx512F.Shuffle4x128(u[k], u[4 + k], 0x88);
                var odd = Avx512F.Shuffle4x128(u[k], u[4 + k], 0xDD);
                var evenHigh = Avx512F.Shuffle4x128(u[8 + k], u[12 + k], 0x88);
                var oddHigh = Avx512F.Shuffle4x128(u[8 + k], u[12 + k], 0xDD);
                StoreTwelve(Avx512F.Shuffle4x128(even, evenHigh, 0x88), row, m, k, count);
                StoreTwelve(Avx512F.Shuffle4x128(odd, oddHigh, 0x88), row, m, 4 + k, count);
                StoreTwelve(Avx512F.Shuffle4x128(even, evenHigh, 0xDD), row, m, 8 + k, count);
                StoreTwelve(Avx512F.Shuffle4x128(odd, oddHigh, 0xDD), row, m, 12 + k, count);
            }
        }
    }

    // The first 12 values of one query's transposed vector into its row of S, when the query exists.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTwelve(Vector512<float> values, float* row, long m, int query, int count)
    {
        if (query >= count)
            return;
        float* target = row + (long)query * m;
        values.GetLower().Store(target);
        values.GetUpper().GetLower().Store(target + 8);
    }
}
