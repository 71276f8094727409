using TorchSharp;
using Xbm.Configuration;
using Xbm.Data;
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
        IEmbeddingMemory? memory, Device device, Trainer trainer, RetrievalEvaluation evaluator, DriftMonitor? drift)
    {
        Drift = drift;
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

    /// <summary>The compute device.</summary>
    public Device Device { get; }

    /// <summary>The trainer.</summary>
    public Trainer Trainer { get; }

    /// <summary>The drift monitor (the config's drift section), or null.</summary>
    public DriftMonitor? Drift { get; }

    /// <summary>The evaluator over the dataset's validation and test protocols.</summary>
    public RetrievalEvaluation Evaluator { get; }

    /// <summary>The keys a configuration may have at its top level; any other is reported before anything is read.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } = new[]
    {
        "name", "description", "device", "threads", "seed", "iterations", "on_non_finite", "data", "model", "loss", "miner",
        "memory", "sampler", "optimizer", "schedule", "evaluation", "checkpoint", "logging", "drift",
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
    public static TrainingRun Create(ConfigSection config, string folder, string? deviceOverride = null, ITrainingObserver? observer = null,
        bool forEvaluation = false, bool evaluateWhileTraining = true)
    {
        // Unknown top-level keys first: a misspelt section ("memroy:") otherwise surfaces as the errors its absence causes.
        config.EnsureKnown(TopLevelKeys);
        config.String("name", "");
        config.String("description", "");
        // The config's device is read (and so known) even when the command line overrides it.
        string configured = config.String("device", "cpu");
        var device = DeviceSelector.Select(deviceOverride ?? configured);
        int threads = config.Int("threads", DefaultThreads, min: 1, max: 1024);
        torch.set_num_threads(threads);
        long seed = config.Long("seed", 0, min: 0);

        var memorySection = config.Section("memory", ConfigLoader.ShorthandKey("memory"));
        var options = TrainOptions.FromConfig(config, memorySection);
        var data = DatasetFactory.Load(config.Section("data", ConfigLoader.ShorthandKey("data")));
        if (options.RecallAt is { Count: > 0 } ks)
        {
            var recallAt = ks.Select(k => (int)k).ToArray();
            data = data with
            {
                Validation = data.Validation is null ? null : data.Validation with { RecallAt = recallAt },
                Test = data.Test.Select(set => set with { RecallAt = recallAt }).ToList(),
            };
        }

        torch.manual_seed(seed);
        long channels;
        using (var probe = data.Train.Load(new[] { 0 }, augment: false, 0))
            channels = probe.shape[1];
        var model = ModelFactory.Create(config.Section("model", ConfigLoader.ShorthandKey("model")), channels, report => observer?.OnMessage($"weights: {report}"),
            loadWeights: !forEvaluation); // evaluation loads a checkpoint: the starting weights need not exist any more
        model.to(device);
        var loss = LossFactory.Create(config.Section("loss"), config.Section("miner"));
        var driftOptions = config.Has("drift") ? DriftMonitorOptions.FromConfig(config.Section("drift"), (ulong)seed) : null;
        IEmbeddingMemory? memory = options.Memory.Enabled
            ? MemoryFactory.Create(memorySection, model.Dimension, data.Train.Count, device)
            : null;
        try
        {
            if (memory is null)
            {
                memorySection.String("kind", "none");
                if (memorySection.Keys.FirstOrDefault(k => k != "kind") is { } unused)
                    throw memorySection.Error(unused, "the memory is off (memory: none), so this key has no effect; "
                        + "turn the memory on with memory.kind: fifo (or --set memory.kind=fifo), or remove the key");
            }
            memorySection.EnsureAllUsed();
            config.EnsureAllUsed();
            options.CheckMemoryStart(memorySection);
            if (options.Memory.StartDrift is not null)
            {
                if (driftOptions is null)
                    throw memorySection.Error("start_drift", "the adaptive start watches the measured drift: add a drift section (e.g. drift: {every: 50, deltas: [100]})");
                if (!driftOptions.Deltas.Contains(options.Memory.StartDriftDelta))
                    throw memorySection.Error("start_drift_delta", $"{options.Memory.StartDriftDelta} is not among drift.deltas ({string.Join(", ", driftOptions.Deltas)})");
            }
        }
        catch
        {
            memory?.Dispose();
            model.Dispose();
            throw;
        }

        if (options.EvaluateOn == "validation" && data.Validation is null)
            throw new ConfigException($"{config.Source}: evaluation.on: validation, but the data has no validation split (set data.validation_classes)");
        var samplerSection = config.Section("sampler");
        if (data.Train.Count == 0)
            throw new ConfigException($"{config.Source}: data: the training split has no images");
        int classes = data.Train.Labels.Distinct().Count();
        if (options.ClassesPerBatch > classes)
            throw samplerSection.Error("classes_per_batch", $"{options.ClassesPerBatch} classes per batch, but the training split has only {classes} classes");
        PKSampler sampler;
        try
        {
            sampler = new PKSampler(data.Train.Labels, new PKSamplerOptions
            {
                ClassesPerBatch = options.ClassesPerBatch,
                ImagesPerClass = options.ImagesPerClass,
                SmallClasses = Enum.Parse<SmallClassPolicy>(options.SmallClasses, ignoreCase: true),
                Seed = (ulong)seed,
            });
        }
        catch (ArgumentException e)
        {
            // With P and the data checked above, what remains is K against the classes' sizes.
            throw samplerSection.Error("images_per_class", e.Message);
        }
        Action<string> warn = observer is null ? Console.Error.WriteLine : observer.OnMessage;
        if (sampler.DroppedClasses is { Count: > 0 } dropped)
            warn($"warning: {dropped.Count} training class(es) with fewer than {options.ImagesPerClass} images are left out of every batch "
                + $"(sampler.small_classes: drop), e.g. label {dropped[0].Label} ({dropped[0].Count} image(s))");
        if (sampler.PaddedClasses is { Count: > 0 } padded)
            warn($"warning: {padded.Count} training class(es) have fewer than {options.ImagesPerClass} images; their images are drawn again to fill a batch "
                + $"(sampler.small_classes: pad), e.g. label {padded[0].Label} ({padded[0].Count} image(s))");
        var evaluator = new RetrievalEvaluation(data, device, options.EmbedBatchSize)
        {
            Progress = observer is null ? null : (what, done, total) => observer.OnProgress($"evaluating {what}", done, total),
        };

        Directory.CreateDirectory(folder);
        string stored = Path.Combine(folder, "config.yaml");
        string resolved = ConfigLoader.ToYaml(config.Values.ToDictionary(p => p.Key, p => p.Value));
        if (!forEvaluation)
        {
            if (File.Exists(stored) && Checkpoint.Latest(folder) is { } latest && File.ReadAllText(stored) != resolved)
                CheckResumable(folder, stored, resolved, latest, options.Iterations, observer);
            AtomicFile.WriteAllText(stored, resolved);
        }

        var drift = driftOptions is null ? null : new DriftMonitor(data.Train, driftOptions);
        var trainer = new Trainer(options, model, loss, memory, data.Train, sampler, device, folder, evaluateWhileTraining ? evaluator : null, observer,
            AdaptiveStart(options.Memory, drift), drift);
        return new TrainingRun(folder, options, data, model, loss, memory, device, trainer, evaluator, drift);
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
