using System.Diagnostics;
using Xbm.Training;
using Xunit.Abstractions;

namespace Xbm.Tests.Distributed;

/// <summary>
/// docs/design.md §10: a killed rank ends the whole job with mpirun's message naming it, and the job resumes with the
/// same number of ranks from rank 0's last checkpoint to exactly the state of an uninterrupted run.
/// </summary>
[Collection("mpirun")] // the mpirun tests run one after the other: two jobs of two ranks would share the cores
public sealed class MpiKillResumeTests(ITestOutputHelper output) : IDisposable
{
    private const long Iterations = 400;
    private readonly string _scratch = TestPaths.NewTemporaryFolder("xbm-mpi-kill");

    [MpiFact]
    public void AKilledRankEndsTheJobWhichResumesToTheUninterruptedState()
    {
        string config = Path.Combine(_scratch, "tiny.yaml");
        File.WriteAllText(config, MpiEquivalenceTests.Config(Iterations, 20));
        string reference = Path.Combine(_scratch, "reference"), run = Path.Combine(_scratch, "run");
        var clock = Stopwatch.StartNew();
        var whole = MpiRun.Run(MpiRun.Start(2, "train", "--config", config, "--out", reference));
        Assert.True(whole.ExitCode == 0, whole.Output);
        output.WriteLine($"uninterrupted: {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        using (var job = Process.Start(MpiRun.Start(2, "train", "--config", config, "--out", run))!)
        {
            var stdout = job.StandardOutput.ReadToEndAsync();
            var stderr = job.StandardError.ReadToEndAsync();
            try
            {
                // Kill rank 1 once rank 0 has written a checkpoint past the first.
                while (Checkpoint.Latest(run) is not { } latest || Checkpoint.ReadInfo(latest).Iteration < 40)
                {
                    if (job.HasExited)
                        Assert.Fail("the job ended before it could be killed: " + stdout.Result + stderr.Result);
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "no checkpoint at iteration 40 within 60 s");
                    Thread.Sleep(50);
                }
                output.WriteLine($"killing rank 1 after the checkpoint of iteration {Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration} ({clock.Elapsed.TotalSeconds:F1} s, job exited: {job.HasExited})");
                using var rank1 = Process.GetProcessById(RankProcess(job.Id, 1));
                rank1.Kill();
                Assert.True(job.WaitForExit(30_000), "the job did not end within 30 s of a rank's death");
                job.WaitForExit();
            }
            finally
            {
                if (!job.HasExited)
                    job.Kill(entireProcessTree: true);
            }
            string said = stdout.Result + stderr.Result;
            Assert.NotEqual(0, job.ExitCode);
            Assert.Contains("process rank 1", said);
            Assert.Contains("signal 9", said);
        }
        long reached = Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration;
        Assert.True(reached < Iterations, $"the killed job had already finished ({reached})");
        output.WriteLine($"killed after the checkpoint of iteration {reached}: {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        var resumed = MpiRun.Run(MpiRun.Start(2, "train", "--config", config, "--out", run));
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains("resumed from", resumed.Output);
        Assert.Contains($"(iteration {reached})", resumed.Output);
        output.WriteLine($"resumed: {clock.Elapsed.TotalSeconds:F1} s");
        string finalReference = Checkpoint.Latest(reference)!, finalRun = Checkpoint.Latest(run)!;
        Assert.Equal(Iterations, Checkpoint.ReadInfo(finalRun).Iteration);
        foreach (string file in new[] { "model.safetensors", "memory.safetensors", "optimizer.bin" })
            Assert.True(File.ReadAllBytes(Path.Combine(finalReference, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(finalRun, file))),
                $"{file} differs between the resumed and the uninterrupted run");
    }

    /// <summary>The process id of MPI rank <paramref name="rank"/> among mpirun's children (Open MPI sets OMPI_COMM_WORLD_RANK).</summary>
    private static int RankProcess(int mpirun, int rank)
    {
        var children = Directory.GetDirectories($"/proc/{mpirun}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(int.Parse);
        foreach (int child in children)
        {
            string environment;
            try
            {
                environment = File.ReadAllText($"/proc/{child}/environ");
            }
            catch (IOException)
            {
                continue;
            }
            if (environment.Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                return child;
        }
        throw new InvalidOperationException($"no child of mpirun ({mpirun}) is rank {rank}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
