using System.Diagnostics;
using System.Globalization;
using Xbm.Evaluation;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 6's benchmark: evaluation of N embeddings (default 60,000 × 512, the size of SOP's test set) against
/// themselves — exact chunked k-NN with depth 1,000 plus Recall@1/10/100/1000, R-Precision and MAP@R — timed against
/// the bare matrix products of the same shape (the same query × reference chunks multiplied into the same block,
/// without any selection), measured in the same process before and after the evaluation. Also the peak resident
/// memory of each phase. Labels: classes of 5 images (SOP averages 5.3 per class).
/// Usage: dotnet run -c Release --project bench/Xbm.Bench -- evaluation [N] [d] [threads] [--one-sided] (--one-sided also
/// times the k-NN without computing each block of the symmetric same-set S once).
/// </summary>
public static class EvaluationBenchmark
{
    /// <summary>Runs the benchmark and prints the times, the ratio and the peak memory; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        bool oneSided = args.Contains("--one-sided");
        args = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60_000;
        int d = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 512;
        int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        set_num_threads(threads);
        var options = new KnnOptions();
        Console.WriteLine($"evaluation benchmark: N = {n}, d = {d}, torch threads = {threads} (top-k scan threads = {Environment.ProcessorCount}), "
                          + $"chunks {options.QueryChunkSize} × {options.ReferenceChunkSize}, {Environment.ProcessorCount} cores");

        manual_seed(1);
        using var embeddings = nn.functional.normalize(randn(n, d), p: 2, dim: 1);
        var labels = Enumerable.Range(0, n).Select(i => (long)(i / 5)).ToArray();
        int[] recallAt = [1, 10, 100, 1000];
        double gflop = 2.0 * n * n * d / 1e9;
        long baseline = ProcessMemory.ResidentBytes();
        Console.WriteLine($"resident after creating the embeddings: {Mib(baseline)} MiB (embeddings {Mib((long)n * d * 4)} MiB)");

        // A small warm-up so that one-time costs (thread pools, first allocations) hit neither measurement.
        using (var warm = embeddings.narrow(0, 0, Math.Min(n, 2048)))
            RetrievalEvaluator.Evaluate(warm, labels.Take((int)warm.shape[0]).ToArray(), null, null, [1]).Dispose();

        var (gemm1, gemmPeak) = Measure(() => BareProducts(embeddings, options));
        Console.WriteLine($"bare GEMM #1: {gemm1:F2} s ({gflop / gemm1:F1} GFLOP/s), peak resident {Mib(gemmPeak)} MiB");

        EvaluationReport? report = null;
        var (evaluation, evaluationPeak) = Measure(() => report = RetrievalEvaluator.Evaluate(embeddings, labels, null, null, recallAt, new EvaluationOptions { Knn = options }));
        using (report)
        {
            Console.WriteLine($"evaluation: {evaluation:F2} s (k-NN {report!.SearchTime.TotalSeconds:F2} s with depth {report.Results.Depth}, metrics {report.MetricsTime.TotalSeconds:F2} s), "
                              + $"peak resident {Mib(evaluationPeak)} MiB");
            Console.WriteLine("  " + string.Join(", ", report.Metrics.Select(p => $"{p.Key} {100 * p.Value:F2}")));
        }

        if (oneSided)
        {
            // The same search without the symmetric halving (each block computed from both sides), for the comparison.
            var (seconds, peak) = Measure(() => Knn.Search(embeddings, null, 1000, options with { SymmetricCandidateBytes = 0 }).Dispose());
            Console.WriteLine($"one-sided k-NN (SymmetricCandidateBytes = 0): {seconds:F2} s, peak resident {Mib(peak)} MiB");
        }

        var (gemm2, _) = Measure(() => BareProducts(embeddings, options));
        Console.WriteLine($"bare GEMM #2: {gemm2:F2} s ({gflop / gemm2:F1} GFLOP/s)");
        double gemm = (gemm1 + gemm2) / 2;
        Console.WriteLine($"ratio evaluation / bare GEMM (mean of the two): {evaluation / gemm:F3} (k-NN alone {report!.SearchTime.TotalSeconds / gemm:F3}; issue 18's target ≤ 1.2)");
        Console.WriteLine($"peak resident above the embeddings: evaluation {Mib(evaluationPeak - baseline)} MiB, bare GEMM {Mib(gemmPeak - baseline)} MiB");
        return 0;
    }

    /// <summary>The k-NN's matrix products alone: every (query chunk, reference chunk) block, into one reused buffer.</summary>
    private static void BareProducts(Tensor embeddings, KnnOptions options)
    {
        long n = embeddings.shape[0];
        int queryChunk = (int)Math.Min(options.QueryChunkSize, n), referenceChunk = (int)Math.Min(options.ReferenceChunkSize, n);
        using var block = empty((long)queryChunk * referenceChunk, dtype: ScalarType.Float32);
        for (long q0 = 0; q0 < n; q0 += queryChunk)
        {
            long rows = Math.Min(queryChunk, n - q0);
            using var queries = embeddings.narrow(0, q0, rows);
            for (long r0 = 0; r0 < n; r0 += referenceChunk)
            {
                long columns = Math.Min(referenceChunk, n - r0);
                using var references = embeddings.narrow(0, r0, columns);
                using var flat = block.narrow(0, 0, rows * columns);
                using var view = flat.view(rows, columns);
                using var transposed = references.t();
                view.addmm_(queries, transposed, beta: 0, alpha: 1);
            }
        }
    }

    private static (double Seconds, long PeakBytes) Measure(Action action)
    {
        GC.Collect();
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        action();
        clock.Stop();
        return (clock.Elapsed.TotalSeconds, ProcessMemory.PeakResidentBytes());
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F0", CultureInfo.InvariantCulture);
}
