using Xbm.Reporting;
using Xbm.Studies;
using Xbm.Tests.Data;
using Xbm.Training;

namespace Xbm.Tests.Studies;

/// <summary>Issue 12 (C4, A2): a study's evaluations report progress to the run's observer and stop when cancelled.</summary>
public sealed class StudyProgressTests : IDisposable
{
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private sealed class Progress : ITrainingObserver
    {
        public List<(string Phase, long Done, long Total)> Seen { get; } = new();

        public void OnStep(StepReport report) { }

        public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) { }

        public void OnMessage(string message) { }

        public void OnProgress(string phase, long done, long total) => Seen.Add((phase, done, total));
    }

    [Fact]
    public void EvaluationProgressReachesTheObserver()
    {
        var progress = new Progress();
        var options = new StudyOptions { ConfigPath = StudyRunnerTests.TinyConfig(_temp.Path), Seeds = new long[] { 0 }, Folder = _temp.File("study") };
        new StudyRunner(options, (_, _) => progress).Run(new[] { StudyArm.Parse("no memory") });
        Assert.Contains(progress.Seen, p => p.Phase == "evaluating validation" && p.Done == p.Total && p.Total > 0);
        Assert.Contains(progress.Seen, p => p.Phase == "evaluating test" && p.Done == p.Total && p.Total > 0);
        Assert.Contains(progress.Seen, p => p.Phase == "evaluating test k-NN search" && p.Done == p.Total);
    }

    [Fact]
    public void ACancelledStudyStopsAndResumesOnTheNextRun()
    {
        var options = new StudyOptions { ConfigPath = StudyRunnerTests.TinyConfig(_temp.Path), Seeds = new long[] { 0 }, Folder = _temp.File("study") };
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var arms = new[] { StudyArm.Parse("no memory") };
        Assert.ThrowsAny<OperationCanceledException>(() => new StudyRunner(options) { Cancel = cancel.Token }.Run(arms));
        var comparison = new StudyRunner(options).Run(arms);
        Assert.InRange(Assert.Single(comparison.Runs).Metrics["test/Recall@1"], 0, 1);
    }
}
