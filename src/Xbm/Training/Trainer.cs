using TorchSharp;
using System.Diagnostics;
using TorchSharp.Modules;
using Xbm.Data;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// The iteration-based training loop of SPEC section 1. Each step: embed a P×K batch, batch loss over the
/// batch's own pairs (self-pairs masked); from the start iteration on, enqueue the detached batch first and
/// add the weighted memory loss over all filled memory rows (each query's own slot masked); backward; step.
/// One DisposeScope per step. Checkpoints make any interruption resumable exactly.
/// </summary>
public sealed class Trainer
{
    private readonly TrainOptions _options;
    private readonly EmbeddingModel _model;
    private readonly IPairLoss _loss;
    private readonly IEmbeddingMemory? _memory;
    private readonly IImageSet _train;
    private readonly IBatchSampler _sampler;
    private readonly Device _device;
    private readonly string _runFolder;
    private readonly IEvaluator? _evaluator;
    private readonly ITrainingObserver? _observer;
    private readonly Func<long, EmbeddingModel, bool>? _startCondition;
    private readonly DriftMonitor? _drift;
    private readonly long[] _labels;

    /// <summary>Wires a run. The model must already be on <paramref name="device"/>.</summary>
    /// <param name="options">Trainer settings.</param>
    /// <param name="model">The embedding model (initialised with the run's seed).</param>
    /// <param name="loss">The pair loss, used for both the batch and the memory loss.</param>
    /// <param name="memory">The memory, or null to train with the batch loss only.</param>
    /// <param name="train">Training images.</param>
    /// <param name="sampler">Batch sampler over <paramref name="train"/>.</param>
    /// <param name="device">Compute device.</param>
    /// <param name="runFolder">Where checkpoints and logs go.</param>
    /// <param name="evaluator">Periodic and final evaluation, or null.</param>
    /// <param name="observer">Progress receiver, or null.</param>
    /// <param name="startCondition">
    /// Adaptive start: called from the start iteration on, until it first returns true, with the iteration and
    /// the model; the memory starts at that iteration. Null = start at the start iteration.
    /// </param>
    /// <param name="drift">
    /// Drift measurement (SPEC section 4), or null: recorded before the first step (iteration 0, or the
    /// checkpoint's iteration on resume) and after every step, its samples written to drift.csv and TensorBoard.
    /// </param>
    public Trainer(TrainOptions options, EmbeddingModel model, IPairLoss loss, IEmbeddingMemory? memory, IImageSet train,
        IBatchSampler sampler, Device device, string runFolder, IEvaluator? evaluator = null, ITrainingObserver? observer = null,
        Func<long, EmbeddingModel, bool>? startCondition = null, DriftMonitor? drift = null)
    {
        if (options.Memory.Enabled != memory is not null)
            throw new ArgumentException(memory is null ? "the options enable the memory but no memory was given" : "a memory was given but the options disable it");
        _options = options;
        _model = model;
        _loss = loss;
        _memory = memory;
        _train = train;
        _sampler = sampler;
        _device = device;
        _runFolder = runFolder;
        _evaluator = evaluator;
        _observer = observer;
        _startCondition = startCondition;
        _drift = drift;
        _labels = train.Labels.ToArray();
    }

    /// <summary>
    /// Trains to the configured number of iterations, resuming from the run folder's latest checkpoint when
    /// <paramref name="resume"/> is set and one exists.
    /// </summary>
    public TrainingResult Run(bool resume = true, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_runFolder);
        using var optimizer = OptimizerFactory.Create(_options.Optimizer, _model.parameters());
        var schedule = new LearningRateSchedule(_options.Optimizer.LearningRate, _options.Schedule, _options.Iterations);

        long start = 0, skipped = 0;
        bool memoryStarted = false;
        string? latest = resume ? Checkpoint.Latest(_runFolder) : null;
        if (latest is not null)
        {
            var info = Checkpoint.Load(latest, _model, optimizer, _memory);
            _sampler.LoadState(info.SamplerState);
            (start, skipped, memoryStarted) = (info.Iteration, info.SkippedSteps, info.MemoryStarted);
            _observer?.OnMessage($"resumed from {latest} (iteration {start})");
        }
        var log = new TrainingLog(_runFolder, _options.TensorBoard, start, drift: _drift is not null);
        if (_drift is not null)
            log.Drift(_drift.Record(start, _model));
        var finalMetrics = new Dictionary<string, IReadOnlyDictionary<string, double>>();

        var clock = new Stopwatch();
        long imagesSeen = 0;
        _model.train();
        using var batches = new BatchLoader(_train, _sampler, t => BatchSeed(_options.Seed, t), start + 1, _options.Iterations, _options.Prefetch);
        for (long t = start + 1; t <= _options.Iterations; t++)
        {
            cancel.ThrowIfCancellationRequested();
            if (_memory is not null && !memoryStarted && t >= _options.Memory.StartIteration
                && (_startCondition is null || _startCondition(t, _model)))
            {
                memoryStarted = true;
                _observer?.OnMessage($"memory starts at iteration {t}");
                if (_options.Memory.Init == "random_train")
                    InitialiseMemory(t);
                _model.train();
            }

            clock.Start();
            var batch = batches.Next();
            var report = Step(batch, schedule.At(t), optimizer, memoryStarted, ref skipped);
            clock.Stop();
            imagesSeen += _options.BatchSize;
            report = report with { ImagesPerSecond = imagesSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds) };
            if (t % _options.LogEvery == 0 || t == _options.Iterations)
                log.Step(report);
            _observer?.OnStep(report);
            if (_drift is not null)
                log.Drift(_drift.Record(t, _model));

            bool last = t == _options.Iterations;
            if (_evaluator is not null && (last || (_options.EvaluateEvery > 0 && t % _options.EvaluateEvery == 0)))
            {
                var splits = last && _options.EvaluateOn != "test" ? new[] { _options.EvaluateOn, "test" } : new[] { _options.EvaluateOn };
                foreach (string split in splits)
                {
                    var metrics = _evaluator.Evaluate(_model, split);
                    _model.train();
                    log.Evaluation(t, split, metrics);
                    _observer?.OnEvaluation(t, split, metrics);
                    finalMetrics[split] = metrics;
                }
            }
            if (last || (_options.CheckpointEvery > 0 && t % _options.CheckpointEvery == 0))
                Checkpoint.Save(_runFolder, _model, optimizer, _memory,
                    new CheckpointInfo(t, _options.Seed, batch.SamplerState, memoryStarted, skipped), _options.KeepCheckpoints);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var result = new TrainingResult(_options.Iterations, finalMetrics, seconds, imagesSeen / Math.Max(1e-9, seconds), skipped, start);
        IO.AtomicFile.WriteAllText(Path.Combine(_runFolder, "summary.json"),
            System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    /// <summary>The seed of iteration <paramref name="t"/>'s augmentation: a function of (seed, t) only.</summary>
    public static ulong BatchSeed(long seed, long t) => SeededRandom.Derive((ulong)seed, (ulong)t).NextUInt64();

    private StepReport Step(LoadedBatch batchData, double rate, OptimizerHelper optimizer, bool memoryActive, ref long skipped)
    {
        using var scope = NewDisposeScope();
        long t = batchData.Iteration;
        var positions = batchData.Positions;
        var images = batchData.Images(_device);
        var labels = tensor(positions.Select(p => _labels[p]).ToArray(), dtype: int64, device: _device);
        var indices = tensor(positions.Select(p => (long)p).ToArray(), dtype: int64, device: _device);
        OptimizerFactory.SetLearningRate(optimizer, rate);

        var queries = _model.forward(images);
        var batch = _loss.Compute(queries, labels, queries, labels, PairMasks.SelfPairs(queries.shape[0], _device));
        var total = batch.Loss;
        double memoryLoss = double.NaN;
        MemoryStats? stats = null;

        if (memoryActive && _memory is not null)
        {
            if (!queries.detach().isfinite().all().item<bool>())
                return Skip(t, rate, "the embeddings", optimizer, ref skipped, batch.Pairs);
            // Enqueue first (SPEC 1): the memory loss sees the current batch too, minus each query's own slot.
            var slots = _memory.Enqueue(queries.detach(), labels, indices, t);
            var own = PairMasks.OwnSlots(slots, _memory.Count);
            var fromMemory = _loss.Compute(queries, labels, _memory.Keys, _memory.Labels, own);
            using var weight = _options.Memory.Weight.ToScalar();
            total = _options.Memory.MemoryLossOnly ? fromMemory.Loss : total.add(fromMemory.Loss, weight);
            memoryLoss = fromMemory.Loss.item<float>();
            long oldest = _memory.Count == 0 ? 0 : t - _memory.Iterations.min().item<long>();
            stats = new MemoryStats(t, _memory.Count, _memory.Capacity, oldest, fromMemory.Pairs.Positives, fromMemory.Pairs.Negatives,
                fromMemory.Pairs.MeanPositiveSimilarity, fromMemory.Pairs.MeanNegativeSimilarity);
        }

        double totalValue = total.item<float>();
        if (!double.IsFinite(totalValue))
            return Skip(t, rate, "the loss", optimizer, ref skipped, batch.Pairs);

        optimizer.zero_grad();
        total.backward();
        double gradientNorm = _options.Optimizer.GradientClip is double clip
            ? TorchSharp.torch.nn.utils.clip_grad_norm_(_model.parameters(), clip)
            : GradientNorm();
        if (!double.IsFinite(gradientNorm))
            return Skip(t, rate, "the gradient", optimizer, ref skipped, batch.Pairs);
        optimizer.step();

        return new StepReport(t, rate, totalValue, batch.Loss.item<float>(), memoryLoss, batch.Pairs, stats, 0);
    }

    private double GradientNorm()
    {
        var squares = _model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.pow(Scalars.Two).sum()).ToArray();
        return squares.Length == 0 ? 0 : Math.Sqrt(stack(squares).sum().item<float>());
    }

    private StepReport Skip(long t, double rate, string what, OptimizerHelper optimizer, ref long skipped, PairStatistics pairs)
    {
        if (_options.OnNonFinite == NonFinitePolicy.Stop)
            throw new NonFiniteException(t, what);
        optimizer.zero_grad();
        skipped++;
        _observer?.OnMessage($"iteration {t}: {what} is not finite; step skipped ({skipped} so far)");
        return new StepReport(t, rate, double.NaN, double.NaN, double.NaN, pairs, null, 0);
    }

    /// <summary>SPEC 1's initialisation option: fill the memory with embeddings of random training images.</summary>
    private void InitialiseMemory(long t)
    {
        var memory = _memory!;
        var random = SeededRandom.Derive((ulong)_options.Seed, 0xA11CE);
        var order = Enumerable.Range(0, _train.Count).ToArray();
        random.Shuffle(order);
        int total = (int)Math.Min(memory.Capacity, _train.Count);
        _model.eval();
        for (int offset = 0; offset < total; offset += _options.EmbedBatchSize)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var positions = order.Skip(offset).Take(Math.Min(_options.EmbedBatchSize, total - offset)).ToArray();
            var embeddings = _model.forward(_train.Load(positions, augment: false, 0).to(_device));
            memory.Enqueue(embeddings, tensor(positions.Select(p => _labels[p]).ToArray(), dtype: int64, device: _device),
                tensor(positions.Select(p => (long)p).ToArray(), dtype: int64, device: _device), t - 1);
        }
    }
}
