using Xbm.Configuration;
using Xbm.Models;
using Xbm.Reporting;
using Xbm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Inference;

/// <summary>
/// A trained run's embedding model, loaded from a checkpoint in eval mode, with the preprocessing and class names
/// inference needs. A run with <c>inference.json</c> (<see cref="InferenceInfo"/>) opens from its config, classes
/// and checkpoint alone, without its dataset; an older run (or a clip run) is rebuilt with its data
/// (<see cref="TrainedRun"/>), which must then be readable. Dispose it.
/// </summary>
public sealed class RunModel : IDisposable
{
    private readonly IDisposable _owner;

    private RunModel(EmbeddingModel model, Device device, ImagePreprocessing preprocessing, IReadOnlyDictionary<long, string>? classNames,
        string checkpoint, string runFolder, bool needsData, int batchSize, IDisposable owner)
    {
        BatchSize = batchSize;
        Model = model;
        Device = device;
        Preprocessing = preprocessing;
        ClassNames = classNames;
        Checkpoint = checkpoint;
        RunFolder = runFolder;
        NeededData = needsData;
        _owner = owner;
    }

    /// <summary>The model, with the checkpoint's weights, in eval mode.</summary>
    public EmbeddingModel Model { get; }

    /// <summary>The device the model is on.</summary>
    public Device Device { get; }

    /// <summary>How image files become model inputs.</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Class names by label, or null.</summary>
    public IReadOnlyDictionary<long, string>? ClassNames { get; }

    /// <summary>The checkpoint folder the weights came from.</summary>
    public string Checkpoint { get; }

    /// <summary>The run folder.</summary>
    public string RunFolder { get; }

    /// <summary>Images per embedding batch (the run's evaluation.batch_size).</summary>
    public int BatchSize { get; }

    /// <summary>True when the run had no inference.json and was rebuilt with its dataset.</summary>
    public bool NeededData { get; }

    /// <summary>Opens <paramref name="runOrCheckpoint"/> (a run folder, its latest checkpoint, or one of its checkpoint folders).</summary>
    /// <param name="runOrCheckpoint">The run or checkpoint folder.</param>
    /// <param name="overrides">Keys overriding the stored configuration (used when the run is rebuilt with its data, e.g. data.root=DIR).</param>
    /// <param name="device">A device overriding the configuration's, or null.</param>
    public static RunModel Open(string runOrCheckpoint, IEnumerable<string>? overrides = null, string? device = null)
    {
        if (!Directory.Exists(runOrCheckpoint))
            throw new DirectoryNotFoundException($"{runOrCheckpoint}: no such run or checkpoint folder");
        var (config, runFolder) = TrainingRun.OpenStored(runOrCheckpoint, overrides);
        var info = InferenceInfo.Load(runFolder);
        if (info is null)
        {
            var trained = TrainedRun.Open(runOrCheckpoint, overrides, device);
            try
            {
                var preprocessing = ImagePreprocessing.From(trained.PreprocessLike);
                return new RunModel(trained.Run.Model, trained.Run.Device, preprocessing, trained.Run.Data.ClassNames, trained.Checkpoint, runFolder, true, trained.Run.Options.EmbedBatchSize, trained);
            }
            catch
            {
                trained.Dispose();
                throw;
            }
        }

        string checkpoint = TrainedRun.CheckpointOf(runOrCheckpoint, runFolder);
        var selected = TrainingRun.ReadDevice(config, device);
        int batchSize = EvaluationConfig.Read(config.Section("evaluation")).BatchSize;
        var task = ClassificationConfig.Read(config);
        var classes = task.Enabled
            ? ClassMap.Load(runFolder) ?? throw new FileNotFoundException($"{runFolder}: a classification run without {ClassMap.FileName}", Path.Combine(runFolder, ClassMap.FileName))
            : null;
        var model = ModelFactory.Create(config.Section("model", ConfigLoader.ShorthandKey("model")), info.Preprocessing.Channels, loadWeights: false,
            classes: classes?.Count ?? 0, classifierScale: task.ClassifierScale);
        try
        {
            model.to(selected);
            Training.Checkpoint.LoadModel(checkpoint, model);
            model.eval();
            return new RunModel(model, selected, info.Preprocessing, info.ClassNames, checkpoint, runFolder, false, batchSize, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _owner.Dispose();
}
