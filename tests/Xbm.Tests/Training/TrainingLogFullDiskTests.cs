using Xbm.Losses;
using Xbm.Training;

namespace Xbm.Tests.Training;

/// <summary>A log row that cannot be written (a full disk: /dev/full) fails with a message naming the file and what is kept.</summary>
public sealed class TrainingLogFullDiskTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-log-full");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AFailedLogRowNamesTheFileAndTheCheckpointThatIsKept()
    {
        if (!File.Exists("/dev/full"))
            return; // Linux only; CI runs on Linux
        var log = new TrainingLog(_folder, tensorBoard: false, resumeIteration: 0);
        string metrics = Path.Combine(_folder, "metrics.csv");
        File.Delete(metrics);
        File.CreateSymbolicLink(metrics, "/dev/full"); // every write fails with ENOSPC

        var error = Assert.Throws<IOException>(() => log.Step(new StepReport(1, 1e-3, 1, 1, double.NaN, PairStatistics.Empty, null, 10)));

        Assert.Contains(metrics, error.Message);
        Assert.Contains("no earlier checkpoint exists", error.Message);
    }
}
