using System.Diagnostics;
using System.Globalization;
using Xbm.Configuration;
using Xbm.Training;

namespace Xbm.Bench;

/// <summary>
/// Issue 7: training throughput of the demo configuration with XBM (memory from iteration 1) against the PyTorch
/// script bench/reference/xbm_reference.py (Debian's python3-torch, written from docs/design.md) with the same threads, batch,
/// input size, model, loss and memory. Each round runs ours (batches prefetched, and loaded on the training thread)
/// and theirs (default layout, and channels-last as ours uses); both time the iterations after a warm-up. The
/// machine's speed drifts by ±15 % over minutes, so the verdict is the median over rounds of the ratio measured
/// within each round. Usage: Xbm.Bench pytorch [iterations=500] [threads=1] [rounds=5]
/// </summary>
public static class PyTorchComparison
{
    private const int WarmUp = 20;

    /// <summary>Runs the comparison; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        string repository = TrainingThroughput.FindRepository();
        var ours = new Dictionary<int, List<double>> { [2] = new(), [0] = new() };
        var theirs = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
        for (int round = 0; round < rounds; round++)
        {
            foreach (int prefetch in new[] { 2, 0 })
            {
                ours[prefetch].Add(Ours(repository, iterations, threads, prefetch));
                Console.WriteLine($"round {round}: XBM.NET (prefetch {prefetch}): {ours[prefetch][^1]:F1} images/s");
            }
            foreach (bool channelsLast in new[] { false, true })
            {
                theirs[channelsLast].Add(Theirs(repository, iterations, threads, channelsLast));
                Console.WriteLine($"round {round}: PyTorch reference{(channelsLast ? " (channels-last)" : "")}: {theirs[channelsLast][^1]:F1} images/s");
            }
        }
        double Ratio(List<double> a, List<double> b) => Medians.Of(a.Zip(b, (x, y) => x / y));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median images/s: ours prefetch 2 {Medians.Of(ours[2]):F1}, ours prefetch 0 {Medians.Of(ours[0]):F1}, PyTorch {Medians.Of(theirs[false]):F1}, PyTorch channels-last {Medians.Of(theirs[true]):F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median of the per-round ratios ours/PyTorch: prefetch 2 {Ratio(ours[2], theirs[false]):F3}, prefetch 0 {Ratio(ours[0], theirs[false]):F3}; "
            + $"against PyTorch channels-last: prefetch 2 {Ratio(ours[2], theirs[true]):F3}, prefetch 0 {Ratio(ours[0], theirs[true]):F3}"));
        return 0;
    }

    private static double Ours(string repository, int iterations, int threads, int prefetch)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"xbm-vs-pytorch-{Guid.NewGuid():N}");
        try
        {
            var config = ConfigLoader.Load(Path.Combine(repository, "configs", "fashion_mnist", "xbm.yaml"), new[]
            {
                $"iterations={iterations + WarmUp}", $"threads={threads}", $"sampler.prefetch={prefetch}", "memory.start_iteration=1",
                "evaluation.every=0", "checkpoint.every=0", "logging.tensorboard=false",
            });
            var clock = new StepWindowClock(WarmUp, iterations + WarmUp);
            using var run = TrainingRun.Create(config, folder, observer: clock, evaluateWhileTraining: false);
            run.Trainer.Run(resume: false);
            return run.Sampler.BatchSize * iterations / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    private static double Theirs(string repository, int iterations, int threads, bool channelsLast) =>
        ReferenceScript.ImagesPerSecond(repository, "xbm_reference.py", new[] { "--iterations", $"{iterations}", "--warmup", $"{WarmUp}", "--threads", $"{threads}" }
            .Concat(channelsLast ? new[] { "--channels-last" } : Array.Empty<string>()));
}
