using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xbm.Configuration;
using Xbm.Training;

namespace Xbm.Bench;

/// <summary>
/// Issue 7: training throughput of the demo configuration with XBM (memory from iteration 1) against the PyTorch
/// script bench/reference/xbm_reference.py (Debian's python3-torch, written from SPEC) with the same threads, batch,
/// input size, model, loss and memory. Alternates ours and theirs twice; both time the iterations after a warm-up.
/// Usage: Xbm.Bench pytorch [iterations=500] [threads=1]
/// </summary>
public static class PyTorchComparison
{
    private const int WarmUp = 20;

    /// <summary>Runs the comparison; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        string repository = TrainingThroughput.FindRepository();
        var ours = new Dictionary<int, List<double>> { [2] = new(), [0] = new() };
        var theirs = new List<double>();
        for (int round = 0; round < 2; round++)
        {
            foreach (int prefetch in new[] { 2, 0 })
            {
                ours[prefetch].Add(Ours(repository, iterations, threads, prefetch));
                Console.WriteLine($"round {round}: XBM.NET (prefetch {prefetch}): {ours[prefetch][^1]:F1} images/s");
            }
            theirs.Add(Theirs(repository, iterations, threads));
            Console.WriteLine($"round {round}: PyTorch reference: {theirs[^1]:F1} images/s");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean images/s: ours prefetch 2 {ours[2].Average():F1}, ours prefetch 0 {ours[0].Average():F1}, PyTorch {theirs.Average():F1}; "
            + $"ratio ours/PyTorch: {ours[2].Average() / theirs.Average():F3} (prefetch 2), {ours[0].Average() / theirs.Average():F3} (prefetch 0)"));
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
            return run.Options.BatchSize * iterations / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    private static double Theirs(string repository, int iterations, int threads)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { Path.Combine(repository, "bench", "reference", "xbm_reference.py"), "--iterations", $"{iterations}", "--warmup", $"{WarmUp}", "--threads", $"{threads}" })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"xbm_reference.py exited with {process.ExitCode} (needs /usr/bin/python3 with python3-torch and python3-numpy)");
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        return json.RootElement.GetProperty("images_per_second").GetDouble();
    }
}
