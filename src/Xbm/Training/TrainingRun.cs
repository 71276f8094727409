using TorchSharp;
using Xbm.Configuration;
using Xbm.Data;
using Xbm.Data.Clips;
using Xbm.Distributed;
using Xbm.IO;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// Builds a whole run from a configuration: data, model, loss (with miner), memory, sampler, evaluator and
/// trainer, each reading its own section; then every key of the configuration must have been read, so a
/// misspelt key is an error naming it. The resolved configuration is stored with the run, and resuming a run
/// with a different configuration is refused.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private TrainingRun(string folder, TrainOptions options, DatasetSplits data, EmbeddingModel model, IPairLoss loss,
        IEmbeddingMemory? memory, PKSampler sampler, Device device, Trainer trainer, DatasetEvaluator evaluator, DriftMonitor? drift,
        ClassMap? classes, ClassificationEvaluator? classification)
    {
        Classes = classes;
        Classification = classification;
        Drift = drift;
        Sampler = sampler;
        Folder = folder;
        Options = options;
        Data = data;
        Model = model;
        Loss = loss;
        Memory = memory;
        Device = device;
        Trainer = trainer;
        Evaluator = evaluator;
    }

    /// <summary>
    /// Intra-op threads when the config has no "threads" key (default: the processor count). Under
    /// contention OpenMP's spinning makes oversubscription very costly (measured 10× slower with 2 threads
    /// on 2 busy cores), so the test suite, which runs test classes in parallel, sets this to 1.
    /// </summary>
    public static int DefaultThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>The run folder.</summary>
    public string Folder { get; }

    /// <summary>The trainer settings.</summary>
    public TrainOptions Options { get; }

    /// <summary>The dataset splits.</summary>
    public DatasetSplits Data { get; }

    /// <summary>The model.</summary>
    public EmbeddingModel Model { get; }

    /// <summary>The pair loss.</summary>
    public IPairLoss Loss { get; }

    /// <summary>The memory, or null.</summary>
    public IEmbeddingMemory? Memory { get; }

    /// <summary>The P × K batch sampler (the sampler section); its BatchSize is the training batch size.</summary>
    public PKSampler Sampler { get; }

    /// <summary>The compute device.</summary>
    public Device Device { get; }

    /// <summary>The trainer.</summary>
    public Trainer Trainer { get; }

    /// <summary>The drift monitor (the config's drift section), or null.</summary>
    public DriftMonitor? Drift { get; }

    /// <summary>The evaluator over the dataset's validation and test protocols.</summary>
    public DatasetEvaluator Evaluator { get; }

    /// <summary>The classes of the classification task (stored as classes.json), or null for retrieval.</summary>
    public ClassMap? Classes { get; }

    /// <summary>The classification task's evaluator (accuracy, confusion matrix, and the retrieval metrics), or null for retrieval.</summary>
    public ClassificationEvaluator? Classification { get; }

    /// <summary>The keys a configuration may have at its top level; any other is reported before anything is read.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } = new[]
    {
        "name", "description", "device", "threads", "seed", "iterations", "on_non_finite", "data", "model", "loss", "miner",
        "memory", "sampler", "optimizer", "schedule", "evaluation", "checkpoint", "logging", "drift", "task", "classification",
    };

    /// <summary>Bytes the memory's embedding rows take (Capacity × d × element size).</summary>
    public long MemoryEmbeddingBytes => Memory is null ? 0 : Memory.Capacity * Memory.Dimension * 4;

    /// <summary>Builds a run from <paramref name="config"/> into <paramref name="folder"/>.</summary>
    /// <param name="config">The configuration root.</param>
    /// <param name="folder">The run folder.</param>
    /// <param name="deviceOverride">A device from the command line, overriding the config's.</param>
    /// <param name="observer">Progress receiver.</param>
    /// <param name="forEvaluation">Build for evaluation only: the stored configuration must exist and is not rewritten.</param>
    /// <param name="evaluateWhileTraining">False leaves the trainer without evaluator (benchmarks, studies that evaluate themselves).</param>
    /// <param name="distributed">
    /// Data-parallel training (docs/design.md §10), or null for one process; ranks other than 0 read the run folder
    /// (to resume) but never write it.
    /// </param>
    public static TrainingRun Create(ConfigSection config, string folder, string? deviceOverride = null, ITrainingObserver? observer = null,
        bool forEvaluation = false, bool evaluateWhileTraining = true, DistributedOptions? distributed = null)
    {
        bool writer = distributed?.WritesRun ?? true;
        // Unknown top-level keys first: a misspelt section ("memroy:") otherwise surfaces as the errors its absence causes.
        config.EnsureKnown(TopLevelKeys);
        var (device, seed) = ReadRunKeys(config, deviceOverride);
        var sampling = SamplerConfig.Read(config.Section("sampler"), (ulong)seed);
        var evaluation = EvaluationConfig.Read(config.Section("evaluation"));
        var memoryConfig = MemoryConfig.Read(config.Section("memory", ConfigLoader.ShorthandKey("memory")));
        var options = TrainOptions.FromConfig(config, sampling, memoryConfig.Wiring, evaluation);
        var task = ClassificationConfig.Read(config);
        var data = DatasetFactory.Load(config.Section("data", ConfigLoader.ShorthandKey("data")), task.Enabled);
        var classes = task.Enabled ? ClassMap.Of(data) : null;
        if (classes is { Count: < 2 })
            throw new ConfigException($"{config.Source}: task: classification needs at least two training classes, the data has {classes.Count}");

        if (classes is null && !evaluation.Retrieval)
            throw new ConfigException($"{config.Source}: evaluation.retrieval: false leaves a retrieval run without metrics (it applies to task: classification)");

        torch.manual_seed(seed); // before the model: its initialisation draws from the global generator
        var model = ModelFactory.Create(config.Section("model", ConfigLoader.ShorthandKey("model")), data.Train.Channels, report => observer?.OnMessage($"weights: {report}"),
            loadWeights: !forEvaluation, // evaluation loads a checkpoint: the starting weights need not exist any more
            classes: classes?.Count ?? 0, clipFrames: (data.Train as ClipImageSet)?.Segments, seed: (ulong)seed, classifierScale: task.ClassifierScale);
        model.to(device);
        var loss = LossFactory.Create(config.Section("loss"), config.Section("miner"));
        var driftOptions = config.Has("drift") ? DriftMonitorOptions.FromConfig(config.Section("drift"), (ulong)seed) : null;
        IEmbeddingMemory? memory = null;
        DriftMonitor? drift = null;
        try // a late error (a changed configuration on resume, changed classes) must not leak the model or the memory
        {
            memory = memoryConfig.Create(model.Dimension, data.Train.Count, device, options.Iterations, driftOptions?.Deltas);
            config.EnsureAllUsed();
            var evaluator = evaluation.CreateEvaluator(data, device, observer);
            var sampler = sampling.Create(data.Train.Labels, observer is null ? Console.Error.WriteLine : observer.OnMessage);
            if (writer)
                StoreConfig(config, folder, options.Iterations, observer, forEvaluation);
            if (!forEvaluation && writer)
                Inference.InferenceInfo.Of(data)?.Save(folder); // what inference needs besides the checkpoint: the model then opens without its data
            ClassificationEvaluator? classification = null;
            ClassificationObjective? objective = null;
            if (classes is not null)
            {
                // Evaluating or resuming: the classifier's outputs stand for the stored classes, so the data must still have them.
                if (ClassMap.Load(folder) is { } stored && !stored.SameAs(classes))
                    throw new ConfigException($"{folder}: the run was trained on the classes {stored} ({ClassMap.FileName}), "
                        + $"but its data now has the training classes {classes}: the classifier's outputs would name the wrong classes");
                if (!forEvaluation && writer)
                    classes.Save(folder);
                classification = new ClassificationEvaluator(evaluator, classes, device, evaluation.BatchSize, folder, evaluation.Retrieval);
                objective = new ClassificationObjective(classes, data.Train.Labels, task.CrossEntropyWeight, task.BatchLossWeight);
            }
            drift = driftOptions is null ? null : new DriftMonitor(data.Train, driftOptions);
            var trainer = new Trainer(options, model, loss, memory, data.Train, sampler, device, folder,
                evaluateWhileTraining ? (IEvaluator?)classification ?? evaluator : null, observer, AdaptiveStart(options.Memory, drift), drift, objective, distributed);
            return new TrainingRun(folder, options, data, model, loss, memory, sampler, device, trainer, evaluator, drift, classes, classification);
        }
        catch
        {
            drift?.Dispose();
            memory?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads the run's own top-level keys (name, description, device, threads, seed) and applies the thread count.</summary>
    private static (Device Device, long Seed) ReadRunKeys(ConfigSection config, string? deviceOverride)
    {
        config.String("name", "");
        config.String("description", "");
        return (ReadDevice(config, deviceOverride), config.Long("seed", 0, min: 0));
    }

    /// <summary>
    /// The run's device (<paramref name="deviceOverride"/>, else the config's <c>device</c>, cpu by default) and its
    /// <c>threads</c>, which this sets as libtorch's intra-op thread count.
    /// </summary>
    public static Device ReadDevice(ConfigSection config, string? deviceOverride)
    {
        ArgumentNullException.ThrowIfNull(config);
        // The config's device is read (and so known) even when the command line overrides it.
        string configured = config.String("device", "cpu");
        var device = DeviceSelector.Select(deviceOverride ?? configured);
        torch.set_num_threads(config.Int("threads", DefaultThreads, min: 1, max: 1024));
        return device;
    }

    /// <summary>
    /// Stores the resolved configuration in the run folder (config.yaml); a folder holding checkpoints of another
    /// configuration is refused (<see cref="CheckResumable"/>). Evaluation-only runs only create the folder.
    /// </summary>
    private static void StoreConfig(ConfigSection config, string folder, long iterations, ITrainingObserver? observer, bool forEvaluation)
    {
        Directory.CreateDirectory(folder);
        if (forEvaluation)
            return;
        string stored = Path.Combine(folder, "config.yaml");
        string resolved = ConfigLoader.ToYaml(config.Values.ToDictionary(p => p.Key, p => p.Value));
        if (File.Exists(stored) && Checkpoint.Latest(folder) is { } latest && File.ReadAllText(stored) != resolved)
            CheckResumable(folder, stored, resolved, latest, iterations, observer);
        AtomicFile.WriteAllText(stored, resolved);
    }

    /// <summary>
    /// A run folder with checkpoints may be resumed with the configuration it was trained with, or with only
    /// "iterations" changed (to at least the checkpoint's iteration: training continues from it). Any other change
    /// is refused, naming each differing key with its old and new value.
    /// </summary>
    private static void CheckResumable(string folder, string stored, string resolved, string latest, long iterations, ITrainingObserver? observer)
    {
        var changes = ConfigDiff.Between(ConfigLoader.Parse(File.ReadAllText(stored), stored).Values, ConfigLoader.Parse(resolved, "the new configuration").Values);
        var refused = changes.Where(c => c.Key != "iterations").ToList();
        if (refused.Count > 0)
            throw new ConfigException($"{folder}: holds a run with another configuration ({stored}): {string.Join("; ", refused)}; "
                + "only iterations may change to continue a run: choose another --out, or delete the folder");
        if (changes.Count == 0)
            return;
        long reached = Checkpoint.ReadInfo(latest).Iteration;
        var change = changes[0];
        if (iterations < reached)
            throw new ConfigException($"{folder}: {change}, but the run has already reached iteration {reached} ({latest}); ask for at least {reached} iterations, or choose another --out");
        observer?.OnMessage($"{change}: continuing the run from its checkpoint at iteration {reached}");
    }

    /// <summary>
    /// The adaptive start (docs/design.md §4, our extension): the memory starts at the first iteration, from the
    /// start iteration on, at which the latest drift measured at memory.start_drift_delta is below
    /// memory.start_drift. Null when the memory starts at a fixed iteration.
    /// </summary>
    public static Func<long, EmbeddingModel, bool>? AdaptiveStart(XbmOptions memory, DriftMonitor? drift)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (memory.StartDrift is not double threshold)
            return null;
        if (drift is null)
            throw new ArgumentException("the adaptive start needs a drift monitor", nameof(drift));
        long delta = memory.StartDriftDelta;
        return (_, _) => drift.LatestDrift(delta) is double measured && measured < threshold;
    }

    /// <summary>Loads the configuration stored in a run folder (or the run folder of a checkpoint folder).</summary>
    public static (ConfigSection Config, string RunFolder) OpenStored(string runOrCheckpoint, IEnumerable<string>? overrides = null)
    {
        string folder = Path.GetFullPath(runOrCheckpoint);
        if (!File.Exists(Path.Combine(folder, "config.yaml")) && File.Exists(Path.Combine(folder, "trainer.json")))
            folder = Path.GetDirectoryName(Path.GetDirectoryName(folder)!)!; // run/checkpoints/iter-N → run
        string path = Path.Combine(folder, "config.yaml");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{runOrCheckpoint}: not a run folder (no config.yaml) nor a checkpoint folder", path);
        return (ConfigLoader.Load(path, overrides), folder);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Memory?.Dispose();
        Drift?.Dispose();
        Model.Dispose();
    }
}
