using TorchSharp;
using System.Diagnostics;
using TorchSharp.Modules;
using Xbm.Data;
using Xbm.Distributed;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// The iteration-based training loop of docs/design.md §1. Each step: embed a P×K batch, batch loss over the
/// batch's own pairs (self-pairs masked); from the start iteration on, enqueue the detached batch first and
/// add the weighted memory loss over all filled memory rows (each query's own slot masked); backward; step.
/// One DisposeScope per step. Checkpoints make any interruption resumable exactly.
/// </summary>
public sealed partial class Trainer
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
    private readonly ClassificationObjective? _classification;
    private readonly DistributedOptions _distributed;
    private readonly StepTrace? _trace;

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
    /// Drift measurement (docs/design.md §4), or null: recorded before the first step (iteration 0, or the
    /// checkpoint's iteration on resume) and after every step, its samples written to drift.csv and TensorBoard.
    /// </param>
    /// <param name="classification">
    /// The classification task's objective (cross-entropy on the model's classifier, a weighted batch loss), or null
    /// for retrieval training.
    /// </param>
    /// <param name="distributed">
    /// Data-parallel training over several processes (docs/design.md §10), or null for one process. Only rank 0
    /// writes the run folder.
    /// </param>
    public Trainer(TrainOptions options, EmbeddingModel model, IPairLoss loss, IEmbeddingMemory? memory, IImageSet train,
        IBatchSampler sampler, Device device, string runFolder, IEvaluator? evaluator = null, ITrainingObserver? observer = null,
        Func<long, EmbeddingModel, bool>? startCondition = null, DriftMonitor? drift = null, ClassificationObjective? classification = null,
        DistributedOptions? distributed = null)
    {
        if (classification is not null && model.Classifier is null)
            throw new ArgumentException("the classification objective needs a model with a classifier", nameof(classification));
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
        _classification = classification;
        _distributed = distributed ?? DistributedOptions.None;
        if (_distributed.Collective.Size > 1)
            PrepareDataParallel();
        _trace = _distributed.TraceFolder is null ? null : new StepTrace(_distributed.TraceFolder, _distributed.Collective);
    }

    /// <summary>
    /// The checkpoint folder that holds the model's current state, or null while steps have run since the last
    /// one was written. Read from other threads (a signal handler may exit at once while this is set).
    /// </summary>
    public string? CurrentCheckpoint => Volatile.Read(ref _currentCheckpoint);

    /// <summary>Where the steps' time goes, or null (the default) not to measure it (<c>xbm train --profile</c>).</summary>
    public StepProfile? Profile { get; set; }

    private string? _currentCheckpoint;

    /// <summary>
    /// Trains to the configured number of iterations, resuming from the run folder's latest checkpoint when
    /// <paramref name="resume"/> is set and one exists. A checkpoint is always written before the evaluation
    /// of the same iteration. When <paramref name="cancel"/> is signalled, the current step finishes, a
    /// checkpoint of the last finished step is written and a <see cref="TrainingInterruptedException"/> names it.
    /// A run that had already finished is not trained again: its recorded metrics are returned
    /// (<see cref="TrainingResult.Reused"/>), after evaluating any final split that has none recorded.
    /// </summary>
    public TrainingResult Run(bool resume = true, CancellationToken cancel = default)
    {
        bool writer = _distributed.WritesRun;
        if (writer)
            Directory.CreateDirectory(_runFolder);
        using var optimizer = OptimizerFactory.Create(_options.Optimizer, _model.parameters());
        var schedule = new LearningRateSchedule(_options.Optimizer.LearningRate, _options.Schedule, _options.Iterations);

        long start = 0, skipped = 0;
        bool memoryStarted = false;
        string? latest = resume ? Checkpoint.Latest(_runFolder) : null;
        Volatile.Write(ref _currentCheckpoint, null);
        if (latest is not null)
        {
            var info = Checkpoint.Load(latest, _model, optimizer, _memory);
            _sampler.LoadState(info.SamplerState);
            (start, skipped, memoryStarted) = (info.Iteration, info.SkippedSteps, info.MemoryStarted);
            _observer?.OnMessage($"resumed from {latest} (iteration {start})");
            Volatile.Write(ref _currentCheckpoint, latest);
        }
        if (_distributed.Collective.Size > 1) // every rank starts from rank 0's state, whatever its own initialisation drew
        {
            DataParallel.Broadcast(_distributed.Collective, _model.parameters().Concat(_model.buffers()).ToArray());
            _observer?.OnMessage($"data-parallel over {_distributed.Collective.Size} ranks (docs/design.md §10): each embeds 1/{_distributed.Collective.Size} of every batch; rank 0 writes the run");
        }
        bool measuresDrift = _drift is not null && writer; // the other ranks' models are the same
        var log = writer ? new TrainingLog(_runFolder, _options.TensorBoard, start, drift: _drift is not null) : null;
        if (latest is not null && start >= _options.Iterations)
            return log is null ? new TrainingResult(start, new Dictionary<string, IReadOnlyDictionary<string, double>>(), 0, 0, skipped, start) { Reused = true }
                : Finished(start, skipped, log, cancel);
        if (measuresDrift)
            log?.Drift(_drift!.Record(start, _model));
        var finalMetrics = new Dictionary<string, IReadOnlyDictionary<string, double>>();

        var clock = new Stopwatch();
        long imagesSeen = 0;
        long savedAt = latest is null ? -1 : start;
        string? samplerState = null;
        _model.train();
        using var batches = new BatchLoader(_train, _sampler, t => BatchSeed(_options.Seed, t), start + 1, _options.Iterations, _options.Prefetch,
            _distributed.Collective.Size, _distributed.Collective.Rank); // each rank decodes only its slice
        for (long t = start + 1; t <= _options.Iterations; t++)
        {
            if (cancel.IsCancellationRequested)
                throw Interrupt(t - 1, savedAt, samplerState, optimizer, memoryStarted, skipped);
            if (_memory is not null && !memoryStarted && t >= _options.Memory.StartIteration && MemoryStartsAt(t))
            {
                memoryStarted = true;
                _observer?.OnMessage($"memory starts at iteration {t}");
                if (_options.Memory.Init == "random_train")
                    InitialiseMemory(t);
                _model.train();
            }

            clock.Start();
            double before = clock.Elapsed.TotalSeconds;
            Profile?.BeginStep();
            var batch = batches.Next();
            Volatile.Write(ref _currentCheckpoint, null);
            var report = _distributed.Collective.Size > 1
                ? DataParallelStep(batch, schedule.At(t), optimizer, memoryStarted, ref skipped)
                : Step(batch, schedule.At(t), optimizer, memoryStarted, ref skipped);
            clock.Stop();
            _trace?.Record(t, report.Loss, report.BatchLoss, report.MemoryLoss, clock.Elapsed.TotalSeconds - before, _model.parameters().ToArray(), memoryStarted ? _memory : null);
            samplerState = batch.SamplerState;
            imagesSeen += batch.Positions.Count;
            report = report with { ImagesPerSecond = imagesSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds) };
            if (t % _options.LogEvery == 0 || t == _options.Iterations)
                log?.Step(report);
            _observer?.OnStep(report);
            if (measuresDrift)
                log?.Drift(_drift!.Record(t, _model));
            Profile?.Mark(StepProfile.Phase.Logging);

            bool last = t == _options.Iterations;
            // Save first, then evaluate: a failing or interrupted evaluation never costs the trained steps.
            if (writer && (last || (_options.CheckpointEvery > 0 && t % _options.CheckpointEvery == 0)))
            {
                Save(t, samplerState, optimizer, memoryStarted, skipped);
                savedAt = t;
                Profile?.Mark(StepProfile.Phase.Checkpoint);
            }
            if (last && writer) // the training time survives a final evaluation that fails or is interrupted
                WriteSummary(new TrainingResult(t, finalMetrics, clock.Elapsed.TotalSeconds, imagesSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds), skipped, start));
            if (_evaluator is not null && log is not null && (last || (_options.EvaluateEvery > 0 && t % _options.EvaluateEvery == 0)))
            {
                try
                {
                    foreach (string split in FinalSplits(last))
                        finalMetrics[split] = Evaluate(t, split, log, cancel);
                    Profile?.Mark(StepProfile.Phase.Evaluation);
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    throw Interrupt(t, savedAt, samplerState, optimizer, memoryStarted, skipped);
                }
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var result = new TrainingResult(_options.Iterations, finalMetrics, seconds, imagesSeen / Math.Max(1e-9, seconds), skipped, start);
        if (writer)
            WriteSummary(result);
        return result;
    }

    /// <summary>The file a finished run records its result in.</summary>
    public const string SummaryFileName = "summary.json";

    /// <summary>Reads the result a finished run recorded in <paramref name="runFolder"/>, or null when there is none (or it is unreadable).</summary>
    public static TrainingResult? ReadSummary(string runFolder)
    {
        string path = Path.Combine(runFolder, SummaryFileName);
        if (!File.Exists(path))
            return null;
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<TrainingResult>(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private void WriteSummary(TrainingResult result) =>
        IO.AtomicFile.WriteAllText(Path.Combine(_runFolder, SummaryFileName),
            System.Text.Json.JsonSerializer.Serialize(result with { Reused = false }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

    private string[] FinalSplits(bool last) =>
        last && _options.EvaluateOn != "test" ? new[] { _options.EvaluateOn, "test" } : new[] { _options.EvaluateOn };

    private IReadOnlyDictionary<string, double> Evaluate(long t, string split, TrainingLog log, CancellationToken cancel)
    {
        var metrics = _evaluator!.Evaluate(_model, split, cancel);
        Runtime.NativeTuning.ReleaseFreeHeap(); // the evaluation's buffers are free; keep the training's working set only
        _model.train();
        log.Evaluation(t, split, metrics);
        _observer?.OnEvaluation(t, split, metrics);
        return metrics;
    }

    private string Save(long t, string samplerState, OptimizerHelper optimizer, bool memoryStarted, long skipped)
    {
        string folder = Checkpoint.Save(_runFolder, _model, optimizer, _memory,
            new CheckpointInfo(t, _options.Seed, samplerState, memoryStarted, skipped), _options.KeepCheckpoints);
        Volatile.Write(ref _currentCheckpoint, folder);
        return folder;
    }

    /// <summary>Writes the checkpoint of the last finished step (unless it exists) and describes the interruption.</summary>
    private TrainingInterruptedException Interrupt(long t, long savedAt, string? samplerState, OptimizerHelper optimizer, bool memoryStarted, long skipped)
    {
        string? checkpoint = savedAt == t || samplerState is null || !_distributed.WritesRun
            ? Checkpoint.Latest(_runFolder)
            : Save(t, samplerState, optimizer, memoryStarted, skipped);
        return new TrainingInterruptedException(t, checkpoint);
    }

    /// <summary>
    /// A run resumed at its last iteration: its final evaluations come from evaluations.csv; a split without
    /// rows there (the process stopped during that evaluation) is evaluated now.
    /// </summary>
    private TrainingResult Finished(long iterations, long skipped, TrainingLog log, CancellationToken cancel)
    {
        var recorded = TrainingLog.ReadEvaluations(_runFolder).Where(e => e.Iteration == iterations)
            .GroupBy(e => e.Split)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, double>)g.GroupBy(e => e.Metric).ToDictionary(m => m.Key, m => m.Last().Value));
        var finalMetrics = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        bool evaluated = false;
        if (_evaluator is not null)
            foreach (string split in FinalSplits(last: true))
            {
                if (recorded.TryGetValue(split, out var metrics))
                    finalMetrics[split] = metrics;
                else
                {
                    cancel.ThrowIfCancellationRequested();
                    _observer?.OnMessage($"the run finished at iteration {iterations} without a recorded {split} evaluation: evaluating it now");
                    finalMetrics[split] = Evaluate(iterations, split, log, cancel);
                    evaluated = true;
                }
            }
        else
            foreach (var (split, metrics) in recorded)
                finalMetrics[split] = metrics;
        var previous = ReadSummary(_runFolder);
        var result = new TrainingResult(iterations, finalMetrics, previous?.TrainingSeconds ?? 0, previous?.ImagesPerSecond ?? 0, skipped, iterations);
        WriteSummary(result);
        if (!evaluated)
            _observer?.OnMessage($"the run had already finished (iteration {iterations}): reusing its recorded metrics ({Path.Combine(_runFolder, SummaryFileName)}, evaluations.csv)");
        return result with { Reused = !evaluated };
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
        Profile?.Mark(StepProfile.Phase.Data);

        var queries = _model.forward(images);
        Profile?.Mark(StepProfile.Phase.Forward);
        using var batchSize = queries.shape[0].ToScalar();
        using var self = arange(Scalars.Zero, batchSize, Scalars.One, dtype: int64, device: _device);
        // The classification task can switch the batch pair loss off (batch_loss_weight: 0): it is then not computed.
        var batch = _classification is { BatchLossWeight: 0 } ? PairLoss.Zero(queries) : _loss.Compute(queries, labels, queries, labels, self);
        var total = batch.Loss;
        if (_classification is not null) // the classification task weights the batch loss (docs/design.md §1)
            total = _classification.BatchTerm(total);
        double memoryLoss = double.NaN;
        MemoryStatistics? stats = null;
        Profile?.Mark(StepProfile.Phase.Loss);

        if (memoryActive && _memory is not null)
        {
            if (!queries.detach().isfinite().all().item<bool>())
                return Skip(t, rate, "the embeddings", optimizer, ref skipped, batch.Pairs);
            // Enqueue first (docs/design.md §1): the memory loss sees the current batch too, minus each query's own slot.
            var slots = _memory.Enqueue(queries.detach(), labels, indices, t);
            var fromMemory = _loss.Compute(queries, labels, _memory.Keys, _memory.Labels, slots);
            using var weight = _options.Memory.Weight.ToScalar();
            total = _options.Memory.MemoryLossOnly ? fromMemory.Loss : total.add(fromMemory.Loss, weight);
            memoryLoss = fromMemory.Loss.item<float>();
            stats = MemoryStatistics.Measure(_memory, t, fromMemory.Pairs);
            Profile?.Mark(StepProfile.Phase.Memory);
        }
        double crossEntropy = double.NaN;
        if (_classification is not null)
            (total, crossEntropy) = _classification.Add(total, _model, queries, positions, _device);

        double totalValue = total.item<float>();
        Profile?.Mark(StepProfile.Phase.Loss);
        if (!double.IsFinite(totalValue))
            return Skip(t, rate, "the loss", optimizer, ref skipped, batch.Pairs);

        optimizer.zero_grad();
        total.backward();
        Profile?.Mark(StepProfile.Phase.Backward);
        if (!ClipAndStep(optimizer))
            return Skip(t, rate, "the gradient", optimizer, ref skipped, batch.Pairs);

        double batchLoss = batch.Loss.item<float>();
        return new StepReport(t, rate, totalValue, batchLoss, memoryLoss, batch.Pairs, stats, 0)
        {
            BatchLossPerPair = PerPair(batchLoss, batch.Pairs.Positives + batch.Pairs.Negatives, queries.shape[0]),
            MemoryLossPerPair = stats is null ? double.NaN : PerPair(memoryLoss, stats.Positives + stats.Negatives, queries.shape[0]),
            CrossEntropy = crossEntropy,
        };
    }

    /// <summary>
    /// A reduced loss as a mean per contributing pair. Only the sum_per_query reduction (sum over pairs / B)
    /// grows with the number of pairs; the mean reductions already divide by a count of elements, so NaN there.
    /// </summary>
    private double PerPair(double loss, long pairs, long queries)
    {
        var reducer = OwnLoss(_loss)?.Reducer;
        if (reducer is Distributed.GlobalCountReducer global)
            reducer = global.Inner;
        if (reducer is not Reducers.SumPerQueryReducer || pairs == 0 || !double.IsFinite(loss))
            return double.NaN;
        return loss * queries / pairs;
    }

    /// <summary>The library's pair loss inside <paramref name="loss"/>, or null for a loss of another kind.</summary>
    private static PairLoss? OwnLoss(IPairLoss loss) => loss switch
    {
        PairLoss own => own,
        MinedPairLoss mined => mined.Loss,
        _ => null,
    };

    /// <summary>
    /// Clips the gradients (or measures their norm) and steps the optimizer; false, without a step, when the gradient
    /// norm is not finite.
    /// </summary>
    private bool ClipAndStep(OptimizerHelper optimizer)
    {
        double gradientNorm = _options.Optimizer.GradientClip is double clip
            ? TorchSharp.torch.nn.utils.clip_grad_norm_(_model.parameters(), clip)
            : GradientNorm.Of(_model.parameters());
        if (!double.IsFinite(gradientNorm))
            return false;
        optimizer.step();
        Profile?.Mark(StepProfile.Phase.Optimizer);
        return true;
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

    /// <summary>
    /// docs/design.md §1's initialisation option: fill the memory with embeddings of random training images. With
    /// several ranks each embeds its share of every chunk, and the shares are gathered in rank order, so the memories
    /// stay the same on every rank (docs/design.md §10).
    /// </summary>
    private void InitialiseMemory(long t)
    {
        var memory = _memory!;
        var collective = _distributed.Collective;
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
            int share = (positions.Length + collective.Size - 1) / collective.Size;
            var own = positions.Skip(collective.Rank * share).Take(share).ToArray();
            var rows = own.Length == 0 ? zeros(0, memory.Dimension, device: _device) : _model.forward(_train.Load(own, augment: false, 0).to(_device));
            Tensor embeddings = rows;
            if (collective.Size > 1)
            {
                // Every share padded to the same length for the gather; only the last non-empty shares are short, so
                // the chunk's rows are the gathered rows' first ones, in the chunk's order.
                var padded = cat(new[] { rows, zeros(share - own.Length, memory.Dimension, device: _device) });
                embeddings = DataParallel.GatherRows(collective, padded).narrow(0, 0, positions.Length);
            }
            memory.Enqueue(embeddings, tensor(positions.Select(p => _labels[p]).ToArray(), dtype: int64, device: _device),
                tensor(positions.Select(p => (long)p).ToArray(), dtype: int64, device: _device), t - 1);
        }
    }
}
