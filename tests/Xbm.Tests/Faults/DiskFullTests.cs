using System.Diagnostics;
using Xbm.Tests.Data;
using Xbm.Training;
using Xunit.Abstractions;

namespace Xbm.Tests.Faults;

/// <summary>
/// Issue 7: a run whose disk fills up (a real ENOSPC, from a small tmpfs) stops with a clear error, leaves every
/// checkpoint on disk whole, and once space is freed resumes from the last good checkpoint and finishes with every
/// iteration logged exactly once.
/// </summary>
/// <remarks>
/// The tmpfs is mounted in a private mount namespace (<c>unshare</c>, util-linux), so the test needs neither a mount
/// on the host nor cleanup: as root it unshares the mount namespace, otherwise it also maps itself to root in a new
/// user namespace. The disk is filled from outside while `xbm train` runs, right after its second checkpoint, so the
/// next write of any kind (a log row or a checkpoint) is the one that fails.
/// </remarks>
public sealed class DiskFullTests(ITestOutputHelper output) : IDisposable
{
    private const int Iterations = 600;
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AFullDiskStopsTheRunWithAClearErrorAndItResumesOnceThereIsSpace()
    {
        string config = FaultRunConfig.Write(_temp.File("full.yaml"), "full", seed: 5, Iterations, memoryStart: 5);
        string mount = Directory.CreateDirectory(_temp.File("disk")).FullName;
        string results = Directory.CreateDirectory(_temp.File("results")).FullName;
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        string cli = Path.Combine(AppContext.BaseDirectory, "Xbm.Cli.dll");
        // Inside the namespace: mount 8 MiB, train until the second checkpoint, fill the disk, let the run fail, copy
        // what is on the disk out, free the space, resume to the end, copy the result out.
        string script = $"""
            set -u
            mount -t tmpfs -o size=8m tmpfs '{mount}' || exit 90
            '{host}' '{cli}' train --config '{config}' --out '{mount}/run' > '{results}/first.out' 2> '{results}/first.err' &
            pid=$!
            while [ ! -d '{mount}/run/checkpoints/iter-00000014' ] && kill -0 $pid 2> /dev/null; do sleep 0.02; done
            dd if=/dev/zero of='{mount}/fill' bs=4k 2> /dev/null
            wait $pid
            echo $? > '{results}/first.code'
            cp -a '{mount}/run' '{results}/after-full'
            rm '{mount}/fill'
            '{host}' '{cli}' train --config '{config}' --out '{mount}/run' > '{results}/second.out' 2> '{results}/second.err'
            echo $? > '{results}/second.code'
            cp -a '{mount}/run' '{results}/final'
            """;
        string scriptPath = _temp.File("full.sh");
        File.WriteAllText(scriptPath, script);
        bool root = Environment.UserName == "root";
        var info = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardError = true };
        foreach (string arg in root ? new[] { "--mount", "bash", scriptPath } : new[] { "--user", "--map-root-user", "--mount", "bash", scriptPath })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        string unshareErrors = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the disk-full scenario did not finish in 5 minutes");
        Assert.True(process.ExitCode == 0, $"unshare/mount failed (exit {process.ExitCode}): {unshareErrors}");

        // The run stopped on the full disk, with an error that says so and names the file it could not write.
        // The tool prints its error on the console (wrapped to its width): join the lines before matching.
        string errors = File.ReadAllText(Path.Combine(results, "first.out")) + File.ReadAllText(Path.Combine(results, "first.err"));
        output.WriteLine(errors);
        errors = errors.Replace("\r", "").Replace("\n", "");
        Assert.NotEqual("0", File.ReadAllText(Path.Combine(results, "first.code")).Trim());
        Assert.Contains("No space left on device", errors);
        Assert.Contains(mount, errors);
        Assert.Contains("is intact", errors);
        Assert.DoesNotContain("   at ", errors); // a message, not a stack trace

        // What the full disk kept is whole: every checkpoint parses, and the last one is at least the second.
        string afterFull = Path.Combine(results, "after-full");
        KillResumeTests.AssertCheckpointsComplete(afterFull);
        long kept = Checkpoint.ReadInfo(Checkpoint.Latest(afterFull)!).Iteration;
        Assert.True(kept >= 14, $"last good checkpoint at {kept}");

        // Resumed once there is space: it finishes, and every iteration is logged exactly once.
        Assert.Equal("0", File.ReadAllText(Path.Combine(results, "second.code")).Trim());
        string final = Path.Combine(results, "final");
        Assert.Equal(Iterations, Checkpoint.ReadInfo(Checkpoint.Latest(final)!).Iteration);
        var logged = File.ReadLines(Path.Combine(final, "metrics.csv")).Skip(1)
            .Select(l => long.Parse(l.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(1, Iterations).Select(i => (long)i), logged);
        output.WriteLine($"stopped after checkpoint {kept}; resumed to {Iterations}");
    }
}
