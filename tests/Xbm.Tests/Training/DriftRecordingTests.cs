using System.Globalization;
using Xbm.Configuration;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using TorchSharp;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>Drift measured during training: drift.csv rows, resume trimming, and the drift-based memory start.</summary>
public sealed class DriftRecordingTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"xbm-drift-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    private sealed class StartRecorder : ITrainingObserver
    {
        public long? MemoryStart { get; private set; }

        public void OnStep(StepReport report)
        {
            if (MemoryStart is null && report.Memory is not null)
                MemoryStart = report.Iteration;
        }

        public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) { }

        public void OnMessage(string message) { }
    }

    private static TrainOptions Options(long iterations, XbmOptions? memory = null) => new()
    {
        Seed = 3,
        Iterations = iterations,
        Optimizer = new OptimizerOptions("adam", 1e-3),
        Memory = memory ?? new XbmOptions(),
        CheckpointEvery = 10,
        KeepCheckpoints = 10,
        LogEvery = 5,
        TensorBoard = false,
    };

    private static Trainer Build(TrainOptions options, string run, DriftMonitor drift, ITrainingObserver? observer = null)
    {
        var data = new SyntheticImageSet(6, 10);
        var model = FixedInitModel.Create();
        var memory = options.Memory.Enabled ? new CrossBatchMemory(50, 16) : null;
        return new Trainer(options, model, new ContrastiveLoss(), memory, data,
            new TestSampler(data.Labels, 3, 4, 5), CPU, run, observer: observer,
            startCondition: TrainingRun.AdaptiveStart(options.Memory, drift), drift: drift);
    }

    private static DriftMonitor Monitor(long interval, params long[] deltas) =>
        new(new SyntheticImageSet(6, 10), new DriftMonitorOptions { ProbeCount = 12, Interval = interval, Deltas = deltas, Seed = 1 });

    private static List<(long Iteration, long Delta, string Drift)> Rows(string run) =>
        File.ReadLines(Path.Combine(run, "drift.csv")).Skip(1).Select(l => l.Split(','))
            .Select(f => (long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), f[2])).ToList();

    [Fact]
    public void DriftCsvHasOneRowPerMeasuredIterationAndDelta()
    {
        string run = Path.Combine(_folder, "run");
        using var drift = Monitor(5, 5, 10);
        Build(Options(20), run, drift).Run();

        Assert.Equal("iteration,delta,drift", File.ReadLines(Path.Combine(run, "drift.csv")).First());
        var rows = Rows(run);
        Assert.Equal(new (long, long)[] { (5, 5), (10, 5), (10, 10), (15, 5), (15, 10), (20, 5), (20, 10) }, rows.Select(r => (r.Iteration, r.Delta)));
        Assert.All(rows, r => Assert.True(double.Parse(r.Drift, CultureInfo.InvariantCulture) > 0, "weights change, so drift is positive"));
        Assert.Equal(rows.Count, drift.Samples.Count);
        Assert.Equal(rows.Select(r => (r.Iteration, r.Delta)), TrainingLog.ReadDrift(run).Select(s => (s.Iteration, s.Delta)));
    }

    [Fact]
    public void ResumeTrimsRowsAfterTheCheckpointAndMeasuresTheSameValues()
    {
        string full = Path.Combine(_folder, "full"), split = Path.Combine(_folder, "split");
        using (var drift = Monitor(5, 5, 10))
            Build(Options(20), full, drift).Run();

        // An interrupted process: it wrote drift rows up to 20, but its last checkpoint is at 10.
        using (var drift = Monitor(5, 5, 10))
            Build(Options(20), split, drift).Run();
        string last = Checkpoint.Latest(split)!;
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(last)!, "latest"), "iter-00000010");
        Directory.Delete(last, recursive: true);
        Assert.EndsWith("iter-00000010", Checkpoint.Latest(split)!);

        using (var drift = Monitor(5, 5, 10))
            Assert.Equal(10, Build(Options(20), split, drift).Run(resume: true).ResumedFrom);

        var expected = Rows(full).ToDictionary(r => (r.Iteration, r.Delta), r => r.Drift);
        var rows = Rows(split);
        // Rows up to 10 are kept once; after the resume, D(15, 10) is missing (its snapshot at 5 was not checkpointed).
        Assert.Equal(new (long, long)[] { (5, 5), (10, 5), (10, 10), (15, 5), (20, 5), (20, 10) }, rows.Select(r => (r.Iteration, r.Delta)));
        Assert.All(rows, r => Assert.Equal(expected[(r.Iteration, r.Delta)], r.Drift)); // resume is exact
    }

    [Fact]
    public void AdaptiveStartWaitsUntilTheMeasuredDriftFallsBelowTheThreshold()
    {
        // A pilot without memory gives the drift curve the memory run follows until its memory starts.
        var pilotRun = Path.Combine(_folder, "pilot");
        using (var pilot = Monitor(2, 2))
            Build(Options(40), pilotRun, pilot).Run();
        var pilotDrift = TrainingLog.ReadDrift(pilotRun);
        int crossing = Enumerable.Range(1, pilotDrift.Count - 1).First(i => pilotDrift[i].Drift < pilotDrift.Take(i).Min(s => s.Drift));
        double threshold = (pilotDrift[crossing].Drift + pilotDrift.Take(crossing).Min(s => s.Drift)) / 2;
        Assert.True(pilotDrift.Take(crossing).All(s => s.Drift >= threshold));

        var recorder = new StartRecorder();
        string run = Path.Combine(_folder, "adaptive");
        using var drift = Monitor(2, 2);
        Build(Options(40, new XbmOptions(true, StartIteration: 3, StartDrift: threshold, StartDriftDelta: 2)), run, drift, recorder).Run();

        // The memory starts at the first iteration after the first measurement below the threshold.
        long expected = pilotDrift[crossing].Iteration + 1;
        Assert.Equal(expected, recorder.MemoryStart);
        var measured = TrainingLog.ReadDrift(run).Where(s => s.Iteration < expected).ToList();
        Assert.Equal(pilotDrift.Take(crossing + 1).Select(s => s.Drift), measured.Select(s => s.Drift));
        Assert.True(measured[^1].Drift < threshold);
        Assert.All(measured.SkipLast(1), s => Assert.True(s.Drift >= threshold));
    }

    [Fact]
    public void AdaptiveStartNeedsADriftSectionWithItsDelta()
    {
        string config = $"""
            data: {"{"}dataset: fashion_mnist, root: "{Data.FashionFixture.Root}"{"}"}
            model: {"{"}backbone: small_cnn, dimension: 8, width: 4{"}"}
            iterations: 4
            memory: {"{"}kind: fifo, start_drift: 0.1{"}"}
            """;
        var noDrift = Assert.Throws<ConfigException>(() => TrainingRun.Create(ConfigLoader.Parse(config, "adaptive.yaml"), Path.Combine(_folder, "a")));
        Assert.Contains("memory.start_drift", noDrift.Message);
        Assert.Contains("drift section", noDrift.Message);

        var wrongDelta = Assert.Throws<ConfigException>(() => TrainingRun.Create(
            ConfigLoader.Parse(config + "\ndrift: {every: 2, deltas: [2]}\n", "adaptive.yaml"), Path.Combine(_folder, "b")));
        Assert.Contains("memory.start_drift_delta", wrongDelta.Message);
    }

    [Fact]
    public void TrainingRunRecordsDriftFromItsConfig()
    {
        string config = $"""
            data: {"{"}dataset: fashion_mnist, root: "{Data.FashionFixture.Root}"{"}"}
            model: {"{"}backbone: small_cnn, dimension: 8, width: 4{"}"}
            iterations: 6
            sampler: {"{"}classes_per_batch: 2, images_per_class: 4{"}"}
            logging: {"{"}tensorboard: false{"}"}
            drift: {"{"}every: 2, deltas: [2, 4], probes: 16{"}"}
            """;
        string run = Path.Combine(_folder, "configured");
        using (var training = TrainingRun.Create(ConfigLoader.Parse(config, "drift.yaml"), run, evaluateWhileTraining: false))
        {
            Assert.NotNull(training.Drift);
            Assert.Equal(16, training.Drift!.Probes.Count);
            training.Trainer.Run();
        }
        Assert.Equal(new (long, long)[] { (2, 2), (4, 2), (4, 4), (6, 2), (6, 4) }, TrainingLog.ReadDrift(run).Select(s => (s.Iteration, s.Delta)));
    }
}
