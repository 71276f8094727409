using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>
/// Issue 12 (A1-A3, C1): nothing trained is lost. The checkpoint is written before the evaluation of the same
/// iteration; a cancelled run writes a checkpoint of its last step; a finished run reports its recorded metrics;
/// the step report carries per-pair losses.
/// </summary>
public sealed class TrainerSafetyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"xbm-safety-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    private sealed class FixedEvaluator(bool fail = false) : IEvaluator
    {
        public int Calls { get; private set; }

        public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split)
        {
            Calls++;
            if (fail)
                throw new InvalidDataException("test/bad.png: cannot decode");
            return new Dictionary<string, double> { ["Recall@1"] = 0.625, ["Recall@2"] = 0.75 };
        }
    }

    private sealed class Observer(Action<StepReport>? onStep = null) : ITrainingObserver
    {
        public List<StepReport> Steps { get; } = new();
        public List<string> Messages { get; } = new();

        public void OnStep(StepReport report)
        {
            Steps.Add(report);
            onStep?.Invoke(report);
        }

        public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) { }

        public void OnMessage(string message) => Messages.Add(message);
    }

    private static TrainOptions Options(long iterations, bool memory = false) => new()
    {
        Seed = 3,
        Iterations = iterations,
        Optimizer = new OptimizerOptions("adam", 1e-3),
        Memory = memory ? new XbmOptions(true, 3) : new XbmOptions(),
        CheckpointEvery = 10,
        KeepCheckpoints = 10,
        EvaluateEvery = 0,
        LogEvery = 1,
        TensorBoard = false,
    };

    private Trainer Build(TrainOptions options, IEvaluator? evaluator = null, ITrainingObserver? observer = null)
    {
        var data = new SyntheticImageSet(6, 10);
        var memory = options.Memory.Enabled ? new CrossBatchMemory(50, 16) : null;
        return new Trainer(options, FixedInitModel.Create(), new ContrastiveLoss(), memory, data,
            new TestSampler(data.Labels, 3, 4, 5), CPU, _folder, evaluator, observer);
    }

    [Fact]
    public void AFailingFinalEvaluationLeavesTheFinalCheckpoint()
    {
        var trainer = Build(Options(6), new FixedEvaluator(fail: true));
        Assert.Throws<InvalidDataException>(() => trainer.Run());
        string latest = Checkpoint.Latest(_folder)!;
        Assert.NotNull(latest);
        Assert.Equal(6, Checkpoint.ReadInfo(latest).Iteration);
    }

    [Fact]
    public void AFinishedRunReportsItsRecordedMetricsWithoutTrainingOrEvaluating()
    {
        var first = Build(Options(6), new FixedEvaluator()).Run();
        Assert.False(first.Reused);
        var evaluator = new FixedEvaluator();
        var observer = new Observer();
        var again = Build(Options(6), evaluator, observer).Run();
        Assert.True(again.Reused);
        Assert.Equal(0, evaluator.Calls);
        Assert.Empty(observer.Steps);
        Assert.Equal(first.FinalMetrics["test"], again.FinalMetrics["test"]);
        Assert.Equal(first.TrainingSeconds, again.TrainingSeconds);
        Assert.Contains(observer.Messages, m => m.Contains("reusing its recorded metrics", StringComparison.Ordinal));
        Assert.Equal(first.FinalMetrics["test"], Trainer.ReadSummary(_folder)!.FinalMetrics["test"]);
    }

    [Fact]
    public void AFinishedRunWhoseFinalEvaluationFailedIsEvaluatedOnTheNextRun()
    {
        Assert.Throws<InvalidDataException>(() => Build(Options(6), new FixedEvaluator(fail: true)).Run());
        var evaluator = new FixedEvaluator();
        var observer = new Observer();
        var result = Build(Options(6), evaluator, observer).Run();
        Assert.False(result.Reused);
        Assert.Equal(1, evaluator.Calls);
        Assert.Empty(observer.Steps);
        Assert.Equal(0.625, result.FinalMetrics["test"]["Recall@1"]);
        Assert.Single(TrainingLog.ReadEvaluations(_folder), e => e.Metric == "Recall@1");
        Assert.True(result.TrainingSeconds > 0, "the training time recorded before the failed evaluation is kept");
    }

    [Fact]
    public void CancellingWritesACheckpointOfTheLastStepAndTheRunResumesFromIt()
    {
        using var cancel = new CancellationTokenSource();
        var observer = new Observer(r =>
        {
            if (r.Iteration == 7)
                cancel.Cancel();
        });
        var e = Assert.Throws<TrainingInterruptedException>(() => Build(Options(12, memory: true), observer: observer).Run(cancel: cancel.Token));
        Assert.Equal(7, e.Iteration);
        Assert.Equal(Path.Combine(Checkpoint.Folder(_folder), "iter-00000007"), e.Checkpoint);
        Assert.Contains(e.Checkpoint!, e.Message);
        var info = Checkpoint.ReadInfo(Checkpoint.Latest(_folder)!);
        Assert.Equal(7, info.Iteration);
        Assert.True(info.MemoryStarted);

        var resumed = new Observer();
        var result = Build(Options(12, memory: true), observer: resumed).Run();
        Assert.Equal(7, result.ResumedFrom);
        Assert.Equal(Enumerable.Range(8, 5).Select(i => (long)i), resumed.Steps.Select(s => s.Iteration));
    }

    /// <summary>Cancels the run while it evaluates, and honours the request as the real evaluators do (between batches).</summary>
    private sealed class CancellingEvaluator(CancellationTokenSource source) : IEvaluator
    {
        public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split) => Evaluate(model, split, CancellationToken.None);

        public IReadOnlyDictionary<string, double> Evaluate(EmbeddingModel model, string split, CancellationToken cancel)
        {
            source.Cancel();
            cancel.ThrowIfCancellationRequested();
            return new Dictionary<string, double>();
        }
    }

    [Fact]
    public void CancellingDuringAPeriodicEvaluationCheckpointsItsIteration()
    {
        using var cancel = new CancellationTokenSource();
        var options = Options(12) with { EvaluateEvery = 4 }; // checkpoints every 10: none due at 4
        var e = Assert.Throws<TrainingInterruptedException>(() => Build(options, new CancellingEvaluator(cancel)).Run(cancel: cancel.Token));
        Assert.Equal(4, e.Iteration);
        Assert.Equal(4, Checkpoint.ReadInfo(Checkpoint.Latest(_folder)!).Iteration);
    }

    [Fact]
    public void StepReportsCarryLossesPerContributingPair()
    {
        var observer = new Observer();
        Build(Options(6, memory: true), observer: observer).Run();
        const int batch = 12; // 3 classes × 4 images; contrastive loss: sum over pairs / batch
        foreach (var step in observer.Steps)
        {
            long pairs = step.BatchPairs.Positives + step.BatchPairs.Negatives;
            Assert.Equal(step.BatchLoss * batch / pairs, step.BatchLossPerPair, 9);
        }
        var withMemory = observer.Steps.Where(s => s.Memory is not null).ToList();
        Assert.NotEmpty(withMemory);
        foreach (var step in withMemory)
            Assert.Equal(step.MemoryLoss * batch / (step.Memory!.Positives + step.Memory.Negatives), step.MemoryLossPerPair, 9);
        Assert.All(observer.Steps.Where(s => s.Memory is null), s => Assert.True(double.IsNaN(s.MemoryLossPerPair)));

        var lines = File.ReadAllLines(Path.Combine(_folder, "metrics.csv"));
        var header = lines[0].Split(',');
        Assert.Equal(TrainingLog.MetricColumns, header);
        int perPair = Array.IndexOf(header, "memory_loss_per_pair");
        var last = lines[^1].Split(',');
        Assert.Equal(observer.Steps[^1].MemoryLossPerPair, double.Parse(last[perPair], System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public void ALogWrittenBeforeThePerPairColumnsKeepsItsRowsOnResume()
    {
        Build(Options(10)).Run();
        string path = Path.Combine(_folder, "metrics.csv");
        // Rewrite the log as the earlier version wrote it: 14 columns.
        File.WriteAllLines(path, File.ReadAllLines(path).Select(l => string.Join(',', l.Split(',').Take(14))));
        var options = Options(12);
        Build(options).Run();
        var rows = File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(TrainingLog.MetricColumns.Length, r.Length));
    }
}
