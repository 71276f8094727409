using System.Diagnostics;
using Xbm.IO;
using Xunit.Abstractions;
using Xbm.Tests.Data;
using Xbm.Training;

namespace Xbm.Tests.Faults;

/// <summary>
/// Issue 7: `xbm train` killed with SIGKILL at random points (during start-up, training, checkpoint writing and
/// resuming) and resumed each time ends with the same weights, memory, optimizer state and logs as an
/// uninterrupted run, and every checkpoint on disk is complete after every kill.
/// </summary>
public sealed class KillResumeTests(ITestOutputHelper output) : IDisposable
{
    private const int Iterations = 240;
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Config() => FaultRunConfig.Write(_temp.File("kill.yaml"), "kill", seed: 4, Iterations, memoryStart: 20);

    private static Process Start(string config, string run, System.Text.StringBuilder? errors = null)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "Xbm.Cli.dll"), "train", "--config", config, "--out", run })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null && errors is not null)
                lock (errors)
                    errors.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static long LastLoggedIteration(string run)
    {
        try
        {
            string path = Path.Combine(run, "metrics.csv");
            if (!File.Exists(path))
                return 0;
            var last = File.ReadLines(path).Skip(1).LastOrDefault(l => l.Split(',').Length == TrainingLog.MetricColumns.Length);
            return last is null ? 0 : long.Parse(last.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0; // being replaced by a resuming process
        }
    }

    /// <summary>Every checkpoint folder present is complete: its files parse and hold the expected tensors.</summary>
    internal static void AssertCheckpointsComplete(string run)
    {
        string folder = Checkpoint.Folder(run);
        if (!Directory.Exists(folder))
            return;
        foreach (string checkpoint in Directory.GetDirectories(folder, "iter-*"))
        {
            var info = Checkpoint.ReadInfo(checkpoint);
            Assert.Equal($"iter-{info.Iteration:D8}", Path.GetFileName(checkpoint));
            var (model, _) = SafeTensors.Load(Path.Combine(checkpoint, "model.safetensors"));
            Assert.NotEmpty(model);
            foreach (var t in model.Values)
                t.Dispose();
            Assert.True(new FileInfo(Path.Combine(checkpoint, "optimizer.bin")).Length > 0);
            if (info.MemoryStarted)
                Checkpoint.LoadMemoryState(Path.Combine(checkpoint, "memory.safetensors"));
        }
        if (Checkpoint.Latest(run) is { } latest)
            Checkpoint.ReadInfo(latest);
    }

    private static string[] Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.csv"))
            .Select(l => string.Join(',', l.Split(',').Where((_, i) => i != Array.IndexOf(TrainingLog.MetricColumns, "images_per_second")))).ToArray(); // without images/s

    [Fact]
    public void KilledAtRandomPointsAndResumedEqualsAnUninterruptedRun()
    {
        string config = Config();
        string reference = _temp.File("reference");
        using (var uninterrupted = Start(config, reference))
        {
            Assert.True(uninterrupted.WaitForExit(120_000), "the uninterrupted run did not finish");
            Assert.Equal(0, uninterrupted.ExitCode);
        }

        string run = _temp.File("killed");
        var random = new Random(2026);
        int kills = 0, killsWhileTraining = 0;
        for (int attempt = 0; ; attempt++)
        {
            Assert.True(attempt < 40, "the killed run never finished");
            var errors = new System.Text.StringBuilder();
            using var process = Start(config, run, errors);
            long from = LastLoggedIteration(run);
            // Kill points: after a random number of further logged iterations (most attempts), or after a random
            // delay from start-up (start-up, loading, resuming); the last attempts run to the end.
            bool byIteration = random.NextDouble() < 0.75;
            long target = from + random.Next(1, 40);
            var delay = TimeSpan.FromMilliseconds(random.Next(50, 1500));
            var clock = Stopwatch.StartNew();
            bool killed = false;
            while (!process.HasExited && kills < 12)
            {
                if (byIteration ? LastLoggedIteration(run) >= target : clock.Elapsed >= delay)
                {
                    long at = LastLoggedIteration(run);
                    process.Kill(entireProcessTree: true); // SIGKILL on Linux
                    process.WaitForExit();
                    killed = true;
                    kills++;
                    if (at > from)
                        killsWhileTraining++;
                    output.WriteLine($"kill {kills}: logged iterations {from} -> {at}, {clock.ElapsedMilliseconds} ms after start");
                    break;
                }
                Thread.Sleep(2);
            }
            if (!killed)
            {
                Assert.True(process.WaitForExit(120_000), "a resumed run did not finish");
                process.WaitForExit(); // flush the redirected streams
                Assert.True(process.ExitCode == 0, $"attempt {attempt} exited with {process.ExitCode}: {errors}");
                break;
            }
            AssertCheckpointsComplete(run);
        }

        Assert.True(kills >= 8, $"only {kills} kills");
        Assert.True(killsWhileTraining >= 4, $"only {killsWhileTraining} kills landed while training");
        string finalReference = Checkpoint.Latest(reference)!;
        string finalKilled = Checkpoint.Latest(run)!;
        Assert.Equal(Iterations, Checkpoint.ReadInfo(finalKilled).Iteration);
        foreach (string file in new[] { "model.safetensors", "memory.safetensors", "optimizer.bin" })
            Assert.True(File.ReadAllBytes(Path.Combine(finalReference, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(finalKilled, file))),
                $"{file} differs after {kills} kills");
        Assert.Equal(Metrics(reference), Metrics(run));
        Assert.Equal(File.ReadAllLines(Path.Combine(reference, "evaluations.csv")), File.ReadAllLines(Path.Combine(run, "evaluations.csv")));
    }
}
