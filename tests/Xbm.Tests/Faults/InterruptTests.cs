using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Xbm.Tests.Data;
using Xbm.Training;

namespace Xbm.Tests.Faults;

/// <summary>
/// Issue 12 (A2): Ctrl-C (SIGINT) or SIGTERM during `xbm train` in a child process: the step finishes, a
/// checkpoint is written and named, the exit code is 130 or 143, and running the command again resumes from
/// that checkpoint and finishes.
/// </summary>
public sealed partial class InterruptTests : IDisposable
{
    private const int Iterations = 400;
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private sealed class Child(Process process, StringBuilder output) : IDisposable
    {
        public Process Process { get; } = process;

        public string Output
        {
            get
            {
                lock (output)
                    return output.ToString();
            }
        }

        public void Dispose() => Process.Dispose();
    }

    private static Child Start(string config, string run)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "Xbm.Cli.dll"), "train", "--config", config, "--out", run })
            info.ArgumentList.Add(arg);
        var output = new StringBuilder();
        var process = Process.Start(info)!;
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
                lock (output)
                    output.AppendLine(e.Data);
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Child(process, output);
    }

    private static long LoggedIterations(string run)
    {
        try
        {
            string path = Path.Combine(run, "metrics.csv");
            return File.Exists(path) ? File.ReadLines(path).Skip(1).Count(l => l.Split(',').Length == TrainingLog.MetricColumns.Length) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [Theory]
    [InlineData(2, 130)]  // SIGINT
    [InlineData(15, 143)] // SIGTERM
    public void ASignalWritesACheckpointExitsWithTheSignalsCodeAndTheRunResumes(int signal, int expectedCode)
    {
        string config = FaultRunConfig.Write(_temp.File("signal.yaml"), "signal", seed: 2, Iterations, memoryStart: 10);
        string run = _temp.File("run");
        long stoppedAt;
        using (var child = Start(config, run))
        {
            var clock = Stopwatch.StartNew();
            while (LoggedIterations(run) < 20)
            {
                Assert.False(child.Process.HasExited, $"the run ended before it could be interrupted:\n{child.Output}");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the run did not start training");
                Thread.Sleep(5);
            }
            Assert.Equal(0, Kill(child.Process.Id, signal));
            Assert.True(child.Process.WaitForExit(60_000), "the interrupted run did not stop");
            child.Process.WaitForExit();
            Assert.True(child.Process.ExitCode == expectedCode, $"exit code {child.Process.ExitCode}:\n{child.Output}");
            string latest = Checkpoint.Latest(run)!;
            Assert.NotNull(latest);
            stoppedAt = Checkpoint.ReadInfo(latest).Iteration;
            Assert.InRange(stoppedAt, 20, Iterations - 1);
            Assert.Contains($"interrupted at iteration {stoppedAt}; checkpoint saved in {latest}", child.Output);
            // The checkpoint holds the last step: the log stops at the same iteration.
            Assert.Equal(stoppedAt, LoggedIterations(run));
        }

        using (var again = Start(config, run))
        {
            Assert.True(again.Process.WaitForExit(120_000), "the resumed run did not finish");
            again.Process.WaitForExit();
            Assert.True(again.Process.ExitCode == 0, again.Output);
            Assert.Contains($"(iteration {stoppedAt})", again.Output);
            Assert.Equal(Iterations, Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration);
            Assert.Equal(Iterations, LoggedIterations(run));
        }
    }
}
