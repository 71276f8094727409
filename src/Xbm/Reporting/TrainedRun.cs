using Xbm.Training;

namespace Xbm.Reporting;

/// <summary>
/// A stored run rebuilt for inference: its configuration (with optional overrides such as data.root=DIR), data,
/// and model loaded from a checkpoint, the run's latest unless a checkpoint folder is given.
/// </summary>
public sealed class TrainedRun : IDisposable
{
    private TrainedRun(TrainingRun run, string checkpoint, string runFolder)
    {
        Run = run;
        Checkpoint = checkpoint;
        RunFolder = runFolder;
    }

    /// <summary>The rebuilt run (data, model with the checkpoint's weights, device).</summary>
    public TrainingRun Run { get; }

    /// <summary>The checkpoint folder the weights came from.</summary>
    public string Checkpoint { get; }

    /// <summary>The run folder.</summary>
    public string RunFolder { get; }

    /// <summary>Opens <paramref name="runOrCheckpoint"/> (a run folder or one of its checkpoint folders).</summary>
    /// <param name="runOrCheckpoint">The run or checkpoint folder.</param>
    /// <param name="overrides">Keys to override in the stored configuration ("data.root=DIR").</param>
    /// <param name="device">A device overriding the configuration's, or null.</param>
    public static TrainedRun Open(string runOrCheckpoint, IEnumerable<string>? overrides = null, string? device = null)
    {
        if (!Directory.Exists(runOrCheckpoint))
            throw new DirectoryNotFoundException($"{runOrCheckpoint}: no such run or checkpoint folder");
        var (config, runFolder) = TrainingRun.OpenStored(runOrCheckpoint, overrides);
        string checkpoint = CheckpointOf(runOrCheckpoint, runFolder);
        var run = TrainingRun.Create(config, runFolder, device, forEvaluation: true);
        try
        {
            Training.Checkpoint.LoadModel(checkpoint, run.Model);
            run.Model.eval();
            return new TrainedRun(run, checkpoint, runFolder);
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>The checkpoint folder <paramref name="runOrCheckpoint"/> names: itself when it is one, else the run's latest.</summary>
    public static string CheckpointOf(string runOrCheckpoint, string runFolder)
    {
        string folder = Path.GetFullPath(runOrCheckpoint);
        return File.Exists(Path.Combine(folder, "trainer.json")) ? folder
            : Training.Checkpoint.Latest(runFolder) ?? throw new FileNotFoundException(
                $"{runFolder}: the run has no checkpoint yet ({Path.Combine(Training.Checkpoint.Folder(runFolder), "latest")} is missing)", Path.Combine(Training.Checkpoint.Folder(runFolder), "latest"));
    }

    /// <summary>
    /// A set whose test-time preprocessing image files given by the user get (`embed --images`, `search --query`):
    /// the first test protocol's queries, or the training images when the dataset has no test protocol (every
    /// set of a run preprocesses alike at test time).
    /// </summary>
    public Data.IImageSet PreprocessLike => Run.Data.Test.Count > 0 ? Run.Data.Test[0].Queries : Run.Data.Train;

    /// <summary>The evaluation sets of a split: "test" (every protocol), "validation" or "train" (the training images searched against themselves).</summary>
    public IReadOnlyList<Data.EvaluationSet> Sets(string split) => split switch
    {
        "test" => Run.Data.Test,
        "validation" => Run.Data.Validation is { } v ? new[] { v } : throw new ArgumentException($"{RunFolder}: the run's data has no validation split (set data.validation_classes or data.validation_fraction)"),
        "train" => new[] { new Data.EvaluationSet("train", Run.Data.Train, null, Array.Empty<int>()) },
        _ => throw new ArgumentException($"unknown split '{split}' (expected test, validation or train)"),
    };

    /// <inheritdoc />
    public void Dispose() => Run.Dispose();
}
