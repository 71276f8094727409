using Xbm.Configuration;
using Xbm.Data;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// The owner of a config's <c>evaluation</c> section: <c>every</c> (iterations between evaluations, 0 = only at
/// the end), <c>on</c> (test | validation: the split periodic evaluations use), <c>recall_at</c> (K values of
/// Recall@K replacing the dataset protocols' own; absent = the protocols') and <c>batch_size</c> (images per
/// embedding batch, also for the memory's initialisation) and <c>retrieval</c> (classification runs: also report the
/// retrieval metrics, default true). It builds the run's <see cref="DatasetEvaluator"/>,
/// the one place the recall_at override is applied.
/// </summary>
public sealed class EvaluationConfig
{
    private readonly ConfigSection _section;

    private EvaluationConfig(ConfigSection section)
    {
        _section = section;
        Every = section.Long("every", 0, min: 0);
        On = section.Choice("on", "test", "test", "validation");
        RecallAt = section.Has("recall_at") ? section.LongList("recall_at", Array.Empty<long>(), min: 1).Select(k => (int)k).ToArray() : null;
        BatchSize = section.Int("batch_size", 256, min: 1);
        Retrieval = section.Bool("retrieval", true);
    }

    /// <summary>
    /// Report the retrieval metrics (key <c>retrieval</c>, default true). A classification run may switch them off: it
    /// then reports the classifier's accuracy only, and each evaluation embeds once.
    /// </summary>
    public bool Retrieval { get; }

    /// <summary>Evaluate every this many iterations (0 = only at the end).</summary>
    public long Every { get; }

    /// <summary>Which split periodic evaluations use: test or validation.</summary>
    public string On { get; }

    /// <summary>K values of Recall@K overriding the dataset protocols' own (null = the protocol's, docs/design.md §5).</summary>
    public IReadOnlyList<int>? RecallAt { get; }

    /// <summary>Images per embedding batch.</summary>
    public int BatchSize { get; }

    /// <summary>Reads <paramref name="evaluation"/>; an unknown key is an error naming the file and key.</summary>
    public static EvaluationConfig Read(ConfigSection evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var config = new EvaluationConfig(evaluation);
        evaluation.EnsureAllUsed();
        return config;
    }

    /// <summary>
    /// The evaluator over <paramref name="data"/>'s protocols on <paramref name="device"/>, reporting progress to
    /// <paramref name="observer"/>. Fails when evaluation.on asks for a validation split the data lacks.
    /// </summary>
    public DatasetEvaluator CreateEvaluator(DatasetSplits data, Device device, ITrainingObserver? observer)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (On == "validation" && data.Validation is null)
            throw new ConfigException($"{_section.Source}: evaluation.on: validation, but the data has no validation split (set data.validation_classes)");
        return new DatasetEvaluator(data, device, BatchSize)
        {
            RecallAt = RecallAt,
            Progress = observer is null ? null : (what, done, total) => observer.OnProgress($"evaluating {what}", done, total),
        };
    }
}
