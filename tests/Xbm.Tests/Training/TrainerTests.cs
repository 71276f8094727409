using TorchSharp;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"xbm-trainer-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    private sealed class Recorder : ITrainingObserver
    {
        public List<StepReport> Steps { get; } = new();
        public List<long> LiveTensors { get; } = new();
        public List<string> Messages { get; } = new();

        public void OnStep(StepReport report)
        {
            Steps.Add(report);
            LiveTensors.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) { }

        public void OnMessage(string message) => Messages.Add(message);
    }

    private static TrainOptions Options(long iterations, bool memory, long start = 5) => new()
    {
        Seed = 3,
        Iterations = iterations,
        Optimizer = new OptimizerOptions("adam", 1e-3),
        Memory = memory ? new XbmOptions(true, start) : new XbmOptions(),
        CheckpointEvery = 10,
        KeepCheckpoints = 10,
        LogEvery = 5,
        TensorBoard = false,
    };

    private static EmbeddingModel Model() => FixedInitModel.Create();

    private (Trainer Trainer, EmbeddingModel Model, CrossBatchMemory? Memory) Build(TrainOptions options, string run, ITrainingObserver? observer = null, IPairLoss? loss = null)
    {
        var data = new SyntheticImageSet(6, 10);
        var model = Model();
        var memory = options.Memory.Enabled ? new CrossBatchMemory(50, 16) : null;
        var trainer = new Trainer(options, model, loss ?? new ContrastiveLoss(), memory, data,
            new TestSampler(data.Labels, 3, 4, 5), CPU, run, observer: observer);
        return (trainer, model, memory);
    }

    [Fact]
    public void MemoryStaysEmptyDuringWarmUpAndFillsAfter()
    {
        var recorder = new Recorder();
        var (trainer, _, memory) = Build(Options(12, memory: true, start: 6), Path.Combine(_folder, "run"), recorder);
        trainer.Run();
        Assert.All(recorder.Steps.Take(5), s => Assert.Null(s.Memory));
        Assert.All(recorder.Steps.Take(5), s => Assert.True(double.IsNaN(s.MemoryLoss)));
        Assert.Equal(12, recorder.Steps[5].Memory!.Count); // first enqueue: one batch of 3 × 4
        Assert.Equal(50, memory!.Count); // 7 batches of 12 rows wrap a 50-row ring
        Assert.Equal(50, recorder.Steps[^1].Memory!.Count);
        Assert.True(recorder.Steps[^1].Memory!.Negatives > 0);
    }

    [Fact]
    public void LiveTensorCountStaysFlatOver200Iterations()
    {
        var recorder = new Recorder();
        var options = Options(200, memory: true, start: 10) with { CheckpointEvery = 20 }; // checkpoints free what they make
        var (trainer, _, _) = Build(options, Path.Combine(_folder, "run"), recorder);
        trainer.Run();
        // After warm-up (memory started, optimizer state allocated) the count must not move at all.
        var afterWarmUp = recorder.LiveTensors.Skip(20).ToList();
        Assert.Equal(afterWarmUp.Min(), afterWarmUp.Max());
    }

    [Fact]
    public void ResumeGivesTheSameWeightsAndMemoryAsAnUninterruptedRun()
    {
        var full = Build(Options(40, memory: true), Path.Combine(_folder, "full"));
        full.Trainer.Run();

        // First half in one process-like run, then a fresh trainer (new model, memory, sampler) resumes.
        var half = Build(Options(20, memory: true), Path.Combine(_folder, "split"));
        half.Trainer.Run();
        var resumed = Build(Options(40, memory: true), Path.Combine(_folder, "split"));
        var result = resumed.Trainer.Run(resume: true);
        Assert.Equal(20, result.ResumedFrom);

        var a = full.Model.state_dict();
        var b = resumed.Model.state_dict();
        foreach (var (name, tensor) in a)
            Assert.True(tensor.eq(b[name]).all().item<bool>(), $"parameter {name} differs after resume");
        Assert.True(full.Memory!.Keys.eq(resumed.Memory!.Keys).all().item<bool>());
        Assert.True(full.Memory.Labels.eq(resumed.Memory.Labels).all().item<bool>());
        Assert.Equal(full.Memory.WritePointer, resumed.Memory.WritePointer);

        // The metrics log of the resumed run has no duplicate or missing rows.
        var iterations = File.ReadLines(Path.Combine(_folder, "split", "metrics.csv")).Skip(1).Select(l => long.Parse(l.Split(',')[0])).ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 5L), iterations);
    }

    [Fact]
    public void PrefetchingDoesNotChangeTraining()
    {
        var synchronous = Build(Options(25, memory: true) with { Prefetch = 0 }, Path.Combine(_folder, "sync"));
        synchronous.Trainer.Run();
        var prefetched = Build(Options(25, memory: true) with { Prefetch = 3 }, Path.Combine(_folder, "prefetch"));
        prefetched.Trainer.Run();
        var a = synchronous.Model.state_dict();
        var b = prefetched.Model.state_dict();
        foreach (var (name, tensor) in a)
            Assert.True(tensor.eq(b[name]).all().item<bool>(), $"parameter {name} differs with prefetching");
        // The checkpoint stores the sampler state of the last trained batch, not of a batch loaded ahead.
        Assert.Equal("25", Checkpoint.ReadInfo(Checkpoint.Latest(Path.Combine(_folder, "prefetch"))!).SamplerState);
    }

    [Fact]
    public void AFailedCheckpointWriteStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint()
    {
        string run = Path.Combine(_folder, "run");
        Directory.CreateDirectory(Checkpoint.Folder(run));
        // A file where the checkpoint of iteration 20 goes: its write fails as on a full or read-only disk
        // (root ignores permissions, so the test blocks the path instead).
        string blocked = Path.Combine(Checkpoint.Folder(run), "iter-00000020");
        File.WriteAllText(blocked, "in the way");
        var (trainer, _, _) = Build(Options(30, memory: true), run);
        var error = Assert.ThrowsAny<IOException>(() => trainer.Run());
        Assert.Contains(blocked, error.Message);
        Assert.Contains("iteration 10", error.Message);
        Assert.Equal(10, Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration);
        Assert.Empty(Directory.GetDirectories(Checkpoint.Folder(run), ".*"));

        // The last good checkpoint is whole: once the path is free, the run resumes from it and finishes.
        File.Delete(blocked);
        var resumed = Build(Options(30, memory: true), run);
        Assert.Equal(10, resumed.Trainer.Run().ResumedFrom);
    }

    private sealed class PoisonedLoss(long poisonAt) : IPairLoss
    {
        private readonly ContrastiveLoss _inner = new();
        private long _calls;
        public string Name => "poisoned";

        public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys = null)
        {
            var output = _inner.Compute(queries, queryLabels, keys, keyLabels, ownKeys);
            if (++_calls != poisonAt)
                return output;
            using var nan = double.NaN.ToScalar();
            return output with { Loss = output.Loss.mul(nan) };
        }
    }

    [Fact]
    public void NonFiniteLossStopsWithTheLastCheckpointIntact()
    {
        string run = Path.Combine(_folder, "run");
        // Batch loss only: call n is iteration n; poison iteration 15, after the checkpoint at 10.
        var (trainer, _, _) = Build(Options(30, memory: false), run, loss: new PoisonedLoss(15));
        var error = Assert.Throws<NonFiniteException>(() => trainer.Run());
        Assert.Equal(15, error.Iteration);
        Assert.Equal(10, Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration);
    }

    [Fact]
    public void NonFiniteLossIsSkippedWhenConfiguredAndTheMemoryStaysFinite()
    {
        var recorder = new Recorder();
        var options = Options(20, memory: true, start: 2) with { OnNonFinite = NonFinitePolicy.Skip };
        // With memory, each iteration calls the loss twice (batch, memory): poison a memory-loss call.
        var (trainer, _, memory) = Build(options, Path.Combine(_folder, "run"), recorder, new PoisonedLoss(12));
        var result = trainer.Run();
        Assert.Equal(1, result.SkippedSteps);
        Assert.True(memory!.Keys.isfinite().all().item<bool>());
        Assert.Contains(recorder.Messages, m => m.Contains("step skipped"));
    }
}
