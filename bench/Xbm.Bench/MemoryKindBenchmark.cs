using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Xbm.Configuration;
using Xbm.Losses;
using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Per-iteration cost of each memory kind (issue 4) at M = 50,000 rows, d = 512, relative to the FIFO memory.
/// Each kind starts full; an iteration is what the trainer does with the memory: enqueue a detached batch of
/// B L2-normalised embeddings, then the contrastive memory loss of the B queries against all M keys
/// (each query's own slot masked) with its backward pass. Reported: the median time of the enqueue alone
/// and of the whole memory step, over the measured iterations after a warm-up.
/// Usage: dotnet run -c Release --project bench/Xbm.Bench -- memory-kinds [iterations=30] [batch=64] [threads=1] [rows=50000] [dimension=512]
/// </summary>
public static class MemoryKindBenchmark
{
    /// <summary>The kinds measured, as written in configs.</summary>
    public static IReadOnlyList<string> Kinds { get; } = MemoryFactory.Kinds;

    /// <summary>Runs the benchmark and prints a markdown table; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        int iterations = Argument(args, 0, 30);
        int batch = Argument(args, 1, 64);
        int threads = Argument(args, 2, 1);
        long rows = Argument(args, 3, 50_000);
        long dimension = Argument(args, 4, 512);
        torch.set_num_threads(threads);
        Console.WriteLine($"memory kinds: M = {rows}, d = {dimension}, B = {batch}, {threads} thread(s), {iterations} measured iterations after 5 warm-up; median ms per iteration");

        var results = new List<(string Kind, double Enqueue, double Step)>();
        foreach (string kind in Kinds)
        {
            var (enqueue, step) = Measure(kind, rows, dimension, batch, iterations);
            results.Add((kind, enqueue, step));
            Console.WriteLine($"{kind}: enqueue {enqueue:F2} ms, memory step {step:F2} ms");
        }
        var fifo = results.Single(r => r.Kind == CrossBatchMemory.KindName);
        Console.WriteLine();
        Console.WriteLine("| memory kind | enqueue (ms) | enqueue vs FIFO | memory step: enqueue + loss + backward (ms) | step vs FIFO |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Kind} | {r.Enqueue:F2} | {r.Enqueue / fifo.Enqueue:F2}× | {r.Step:F2} | {r.Step / fifo.Step:F2}× |"));
        return 0;
    }

    private static (double Enqueue, double Step) Measure(string kind, long rows, long dimension, int batch, int iterations)
    {
        string yaml = kind == MomentumMemory.KindName ? $"kind: {kind}\n" : $"kind: {kind}\nsize: {rows}\n";
        using var memory = MemoryFactory.Create(ConfigLoader.Parse(yaml, "memory-kinds benchmark"), dimension, rows, CPU);
        var loss = new ContrastiveLoss();
        var random = new Random(7);
        const int classes = 1000;

        // Fill: every dataset index once (the momentum bank then has every slot seen).
        for (long start = 0; start < rows; start += 1024)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(1024, rows - start);
            var indices = arange(start, start + n, dtype: int64);
            memory.Enqueue(Embeddings(n, dimension), indices.remainder(classes), indices, 0);
        }

        var enqueueTimes = new List<double>();
        var stepTimes = new List<double>();
        var clock = new Stopwatch();
        for (int i = 0; i < 5 + iterations; i++)
        {
            using var scope = NewDisposeScope();
            var indices = tensor(Enumerable.Range(0, batch).Select(_ => (long)random.NextInt64(rows)).ToArray());
            var labels = indices.remainder(classes);
            var queries = Embeddings(batch, dimension).requires_grad_(true);

            clock.Restart();
            var slots = memory.Enqueue(queries.detach(), labels, indices, i + 1);
            double enqueue = clock.Elapsed.TotalMilliseconds;
            var output = loss.Compute(queries, labels, memory.Keys, memory.Labels, slots);
            output.Loss.backward();
            _ = queries.grad!.sum().item<float>(); // wait for the backward pass
            double step = clock.Elapsed.TotalMilliseconds;
            if (i >= 5)
            {
                enqueueTimes.Add(enqueue);
                stepTimes.Add(step);
            }
        }
        return (Medians.Of(enqueueTimes), Medians.Of(stepTimes));
    }

    private static Tensor Embeddings(long n, long dimension) => nn.functional.normalize(randn(n, dimension), p: 2, dim: 1);

    private static int Argument(string[] args, int position, int fallback) =>
        args.Length > position ? int.Parse(args[position], CultureInfo.InvariantCulture) : fallback;
}
