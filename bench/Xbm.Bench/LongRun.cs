using System.Globalization;
using System.Text;
using TorchSharp;
using Xbm.Configuration;
using Xbm.Memory;
using Xbm.Reporting;
using Xbm.Runtime;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 7's long run: the demo configuration with XBM for 5,000 iterations (memory from iteration 200,
/// evaluation on the test split every 1,000 iterations as the demo does, checkpoints every 1,000, TensorBoard on), sampling the resident memory and the live tensor count of the training thread every
/// 50 iterations; prints the growth after warm-up and writes long-run.csv and long-run.png. Also measures the
/// memory's own footprint: the resident growth of allocating and filling a CrossBatchMemory of M × d against
/// Capacity × d × 4 bytes plus labels, indices and iterations (3 × 8 bytes per row).
/// Usage: Xbm.Bench long-run [iterations=5000 (0: the footprint only)] [output folder=.]
/// </summary>
public static class LongRun
{
    /// <summary>Runs the long run; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        long iterations = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
        string output = args.Length > 1 ? args[1] : ".";
        Directory.CreateDirectory(output);
        MemoryFootprint(50_000, 512);
        if (iterations == 0)
            return 0;

        string folder = Path.Combine(Path.GetTempPath(), $"xbm-long-run-{Guid.NewGuid():N}");
        var samples = new Sampler();
        try
        {
            var config = ConfigLoader.Load(Path.Combine(TrainingThroughput.FindRepository(), "configs", "fashion_mnist", "xbm.yaml"),
                new[] { $"iterations={iterations}", "checkpoint.every=1000" });
            using var run = TrainingRun.Create(config, folder, observer: samples);
            run.Trainer.Run(resume: false);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }

        var csv = new StringBuilder("iteration,resident_mib,live_tensors\n");
        foreach (var (t, rss, live) in samples.Rows)
            csv.Append(CultureInfo.InvariantCulture, $"{t},{rss / 1048576.0:F2},{live}\n");
        File.WriteAllText(Path.Combine(output, "long-run.csv"), csv.ToString());
        CurvePlot.Save(Path.Combine(output, "long-run.png"), $"Demo with XBM, {iterations} iterations", "iteration", "resident memory (MiB)",
            new Dictionary<string, IReadOnlyList<(double X, double Y)>> { ["resident memory"] = samples.Rows.Select(r => ((double)r.Iteration, r.Resident / 1048576.0)).ToList() });

        // After warm-up: from the first sample past 10% of the run (the memory is full by iteration 200 + 35,000 / 16 ≈ 2,390).
        var after = samples.Rows.Where(r => r.Iteration >= iterations / 10).ToList();
        var full = samples.Rows.Where(r => r.Iteration >= 2400).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resident after warm-up (iteration {after[0].Iteration}): {after[0].Resident / 1048576.0:F1} MiB; at the end: {after[^1].Resident / 1048576.0:F1} MiB; "
            + $"growth {100.0 * (after[^1].Resident - after[0].Resident) / after[0].Resident:F2}%; max-min {(after.Max(r => r.Resident) - after.Min(r => r.Resident)) / 1048576.0:F1} MiB"));
        if (full.Count > 1)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"resident once the memory is full (iteration {full[0].Iteration} to {full[^1].Iteration}): growth {100.0 * (full[^1].Resident - full[0].Resident) / full[0].Resident:F2}%"));
        Console.WriteLine($"live tensors of the training thread after warm-up: min {after.Min(r => r.Live)}, max {after.Max(r => r.Live)}");
        Console.WriteLine($"curves: {Path.Combine(output, "long-run.csv")}, long-run.png");
        return 0;
    }

    private static void MemoryFootprint(long rows, long dimension)
    {
        using var scope = NewDisposeScope();
        var batch = nn.functional.normalize(randn(rows, dimension), p: 2, dim: 1);
        var labels = arange(rows, dtype: int64);
        GC.Collect();
        long before = ProcessMemory.ResidentBytes();
        using var memory = new CrossBatchMemory(rows, dimension);
        // Filled as training fills it, batch by batch (one 50,000-row enqueue would add its own temporaries).
        for (long offset = 0; offset < rows; offset += 128)
        {
            using var step = NewDisposeScope();
            long n = Math.Min(128, rows - offset);
            memory.Enqueue(batch.narrow(0, offset, n), labels.narrow(0, offset, n), labels.narrow(0, offset, n), 1 + offset / 128);
        }
        long measured = ProcessMemory.ResidentBytes() - before;
        long expected = rows * dimension * 4 + rows * 3 * 8;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CrossBatchMemory M = {rows}, d = {dimension}, filled: expected {expected / 1048576.0:F2} MiB (M×d×4 + M×3×8 for labels, indices, iterations), "
            + $"resident growth {measured / 1048576.0:F2} MiB (ratio {(double)measured / expected:F3})"));
    }

    private sealed class Sampler : ITrainingObserver
    {
        public List<(long Iteration, long Resident, long Live)> Rows { get; } = new();

        public void OnStep(StepReport report)
        {
            if (report.Iteration % 50 == 0)
                Rows.Add((report.Iteration, ProcessMemory.ResidentBytes(), DisposeScopeManager.Statistics.ThreadTotalLiveCount));
        }

        public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) { }

        public void OnMessage(string message) { }
    }
}
