using System.Globalization;
using Xbm.Configuration;
using Xbm.Training;

namespace Xbm.Bench;

/// <summary>
/// Training throughput (images/s) of the demo configuration without and with XBM, measured in one process
/// run so the two arms can be compared as a ratio. Uses the demo's configs on the installed Fashion-MNIST.
/// Usage: dotnet run -c Release --project bench/Xbm.Bench -- throughput [iterations] [configs-folder]
/// </summary>
public static class TrainingThroughput
{
    /// <summary>Runs both arms and prints images/s and the ratio; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        long iterations = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        string configs = args.Length > 1 ? args[1] : Path.Combine(FindRepository(), "configs", "fashion_mnist");
        var results = new Dictionary<string, TrainingResult>();
        foreach (var (arm, file) in new[] { ("no memory", "no_memory.yaml"), ("XBM", "xbm.yaml") })
        {
            string folder = Path.Combine(Path.GetTempPath(), $"xbm-throughput-{Guid.NewGuid():N}");
            try
            {
                // Memory from iteration 1 so every measured step pays for it; no evaluation, no periodic checkpoints.
                var config = ConfigLoader.Load(Path.Combine(configs, file),
                    new[] { $"iterations={iterations}", "evaluation.every=0", "checkpoint.every=0", "logging.tensorboard=false" }
                        .Concat(arm == "XBM" ? new[] { "memory.start_iteration=1" } : Array.Empty<string>()));
                using var run = TrainingRun.Create(config, folder, evaluateWhileTraining: false);
                results[arm] = run.Trainer.Run(resume: false);
                Console.WriteLine($"{arm}: {results[arm].ImagesPerSecond:F0} images/s over {iterations} iterations " +
                                  $"(batch {run.Sampler.BatchSize}, memory rows {run.Memory?.Capacity ?? 0})");
            }
            finally
            {
                if (Directory.Exists(folder))
                    Directory.Delete(folder, recursive: true);
            }
        }
        Console.WriteLine($"ratio XBM / no memory: {results["XBM"].ImagesPerSecond / results["no memory"].ImagesPerSecond:F3}");
        return 0;
    }

    /// <summary>The repository root (the folder holding Xbm.slnx), searched upwards from the working folder.</summary>
    public static string FindRepository()
    {
        for (var folder = new DirectoryInfo(Directory.GetCurrentDirectory()); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Xbm.slnx")))
                return folder.FullName;
        throw new DirectoryNotFoundException("run from inside the repository (no Xbm.slnx found above the working folder)");
    }
}
