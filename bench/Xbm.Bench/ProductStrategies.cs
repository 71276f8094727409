using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: why the memory step's two skinny products run below the square-product peak, measured through the MKL
/// that libtorch links (its exported BLAS and packed-GEMM functions): S = Q·Kᵀ and G·K as libtorch runs them; G·K as
/// two halves of the memory, one per thread, each with MKL on one thread (summed after); and S from a memory packed
/// beforehand in MKL's own format (so that no product packs K), in chunks of rows (a ring memory would repack the
/// chunk each enqueue touches) and whole, with the cost of packing one chunk. Prints the best and the median of each.
/// Benchmark only: the library does not call MKL directly. Usage: Xbm.Bench products [repetitions=15]
/// </summary>
public static unsafe class ProductStrategies
{
    private const string Mkl = "libtorch_cpu.so"; // MKL is linked into libtorch_cpu and exported from it
    private const int RowMajor = 101, NoTrans = 111, Trans = 112, Packed = 151, BMatrix = 162;

    [DllImport(Mkl)]
    private static extern nuint cblas_sgemm_pack_get_size(int identifier, int m, int n, int k);

    [DllImport(Mkl)]
    private static extern void cblas_sgemm_pack(int layout, int identifier, int trans, int m, int n, int k, float alpha, float* source, int ld, float* destination);

    [DllImport(Mkl)]
    private static extern void cblas_sgemm_compute(int layout, int transa, int transb, int m, int n, int k, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [DllImport(Mkl)]
    private static extern void sgemm(byte* transa, byte* transb, int* m, int* n, int* k, float* alpha, float* a, int* lda, float* b, int* ldb, float* beta, float* c, int* ldc);

    // The Fortran (column-major) BLAS product, the one libtorch exports: C = op(A)·op(B).
    private static void Sgemm(char transa, char transb, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc)
    {
        byte ta = (byte)transa, tb = (byte)transb;
        float one = 1, zero = 0;
        sgemm(&ta, &tb, &m, &n, &k, &one, a, &lda, b, &ldb, &zero, c, &ldc);
    }

    [DllImport(Mkl, EntryPoint = "MKL_Set_Num_Threads_Local")]
    private static extern int SetLocalThreads(int threads);

    /// <summary>Runs the measurement; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        const int B = MemoryLossBenchmarks.B, D = MemoryLossBenchmarks.D, M = MemoryLossBenchmarks.M;
        set_num_threads(Environment.ProcessorCount);
        manual_seed(1);
        using var queries = randn(B, D);
        using var keys = randn(M, D);
        using var gradient = randn(B, M);
        using var similarities = empty(B, M);
        using var product = empty(B, D);
        using var half = empty(B, D);
        float* q = Address(queries), k = Address(keys), g = Address(gradient), s = Address(similarities), p = Address(product), h = Address(half);
        double flop = 2.0 * B * D * M;
        Console.WriteLine($"{get_num_threads()} threads, {repetitions} repetitions, B {B}, M {M}, d {D}");
        Console.WriteLine("| product | how | best | median |");
        Console.WriteLine("|---|---|---:|---:|");
        Measure("S = Q·Kᵀ", "libtorch (addmm)", repetitions, flop, () => similarities.addmm_(queries, keys.t(), beta: 0, alpha: 1));
        // Row-major S (B×M) is column-major Sᵀ = K·Qᵀ.
        Measure("S = Q·Kᵀ", "MKL sgemm", repetitions, flop, () => Sgemm('T', 'N', M, B, D, k, D, q, D, s, M));
        Measure("G·K", "libtorch (addmm)", repetitions, flop, () => product.addmm_(gradient, keys, beta: 0, alpha: 1));
        Measure("G·K", "two halves of M, one thread each", repetitions, flop, () =>
        {
            Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, part =>
            {
                SetLocalThreads(1);
                int first = part * (M / 2), count = part == 0 ? M / 2 : M - M / 2;
                // Row-major (G·K)ᵀ over the half: column-major Kᵀ·Gᵀ.
                Sgemm('N', 'N', D, B, count, k + (long)first * D, D, g + first, M, part == 0 ? p : h, D);
                SetLocalThreads(0);
            });
            product.add_(half);
        });
        foreach (int chunk in new[] { 8192, M })
        {
            int chunks = (M + chunk - 1) / chunk;
            var packed = new float*[chunks];
            for (int c = 0; c < chunks; c++)
            {
                int rows = Math.Min(chunk, M - c * chunk);
                packed[c] = (float*)NativeMemory.AlignedAlloc(cblas_sgemm_pack_get_size(BMatrix, B, rows, D), 64);
                cblas_sgemm_pack(RowMajor, BMatrix, Trans, B, rows, D, 1, k + (long)c * chunk * D, D, packed[c]);
            }
            try
            {
                Measure("S = Q·Kᵀ", $"memory packed beforehand, chunks of {chunk:N0} rows", repetitions, flop, () =>
                {
                    for (int c = 0; c < chunks; c++)
                        cblas_sgemm_compute(RowMajor, NoTrans, Packed, B, Math.Min(chunk, M - c * chunk), D, q, D, packed[c], D, 0, s + c * chunk, M);
                });
                Measure("packing", $"one chunk of {Math.Min(chunk, M):N0} rows", repetitions, 2.0 * B * D * Math.Min(chunk, M), () =>
                    cblas_sgemm_pack(RowMajor, BMatrix, Trans, B, Math.Min(chunk, M), D, 1, k, D, packed[0]));
            }
            finally
            {
                foreach (var buffer in packed)
                    NativeMemory.AlignedFree(buffer);
            }
        }
        using var a = randn(2048, 2048);
        using var b = randn(2048, 2048);
        using var c2 = empty(2048, 2048);
        Measure("square, 2,048³", "libtorch (addmm)", repetitions, 2.0 * 2048 * 2048 * 2048, () => c2.addmm_(a, b, beta: 0, alpha: 1));
        return 0;
    }

    // Prints the best and median time (and GFLOP/s at that time) of the repetitions, after two warm-up calls.
    private static void Measure(string product, string how, int repetitions, double flop, Action action)
    {
        var times = new List<double>();
        var clock = new Stopwatch();
        for (int i = -2; i < repetitions; i++)
        {
            clock.Restart();
            action();
            if (i >= 0)
                times.Add(clock.Elapsed.TotalMilliseconds);
        }
        double best = times.Min(), median = Medians.Of(times);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {product} | {how} | {best:0.00} ms ({flop / best / 1e6:0} GFLOP/s) | {median:0.00} ms ({flop / median / 1e6:0} GFLOP/s) |"));
    }

    private static float* Address(Tensor tensor) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
}
