using System.Text.Json;
using Xbm.Data;
using Xbm.IO;

namespace Xbm.Inference;

/// <summary>
/// What a run needs for inference besides its checkpoint and config, stored as <c>RUN/inference.json</c> when
/// training starts: the test-time preprocessing of its images and its class names. With it a run's model opens
/// without its dataset (<see cref="RunModel"/>), e.g. on a serving machine that never had the training data.
/// </summary>
/// <param name="Preprocessing">The test-time preprocessing of the run's images.</param>
/// <param name="ClassNames">Class names by label, or null.</param>
public sealed record InferenceInfo(ImagePreprocessing Preprocessing, IReadOnlyDictionary<long, string>? ClassNames)
{
    /// <summary>The file name in a run folder.</summary>
    public const string FileName = "inference.json";

    /// <summary>
    /// The information of <paramref name="data"/>: its first test protocol's preprocessing (the training images'
    /// when it has none), or null for data whose items are not single images (clips).
    /// </summary>
    public static InferenceInfo? Of(DatasetSplits data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var like = data.Test.Count > 0 ? data.Test[0].Queries : data.Train;
        return ImagePreprocessing.Supports(like) ? new InferenceInfo(ImagePreprocessing.From(like), data.ClassNames) : null;
    }

    /// <summary>Writes the information to <paramref name="runFolder"/>/inference.json, atomically.</summary>
    public void Save(string runFolder)
    {
        var stored = new Stored(Preprocessing.ToMetadata().ToDictionary(p => p.Key, p => p.Value),
            ClassNames?.ToDictionary(p => p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Value));
        AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(stored, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads <paramref name="runFolder"/>/inference.json, or null when the run has none (trained before it existed, or on clips).</summary>
    public static InferenceInfo? Load(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path))
            return null;
        Stored? stored;
        try
        {
            stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (stored?.Preprocessing is null)
            throw new InvalidDataException($"{path}: no 'Preprocessing' entry");
        var names = stored.ClassNames?.ToDictionary(
            p => long.TryParse(p.Key, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long label) ? label
                : throw new InvalidDataException($"{path}: class label '{p.Key}' is not an integer"),
            p => p.Value);
        return new InferenceInfo(ImagePreprocessing.FromMetadata(stored.Preprocessing, path), names);
    }

    private sealed record Stored(Dictionary<string, string> Preprocessing, Dictionary<string, string>? ClassNames);
}
