using System.Text.Json;
using System.Text.Json.Serialization;
using Xbm.IO;

namespace Xbm.Reporting;

/// <summary>
/// What `xbm embed` records beside an index (index.json): the checkpoint that embedded it and a SHA-256 of that
/// checkpoint's weights, so `xbm search` can refuse another model, plus the class names of the labels.
/// </summary>
/// <param name="Checkpoint">The checkpoint folder the vectors were embedded with, or the .onnx model (`xbm embed --onnx`).</param>
/// <param name="WeightsSha256">SHA-256 (hex) of the checkpoint's model.safetensors, or of the .onnx file.</param>
/// <param name="Dimension">The vectors' dimension.</param>
/// <param name="Count">The number of vectors.</param>
/// <param name="ClassNames">Class names by label, or null.</param>
public sealed record IndexInfo(string Checkpoint, string WeightsSha256, long Dimension, long Count, IReadOnlyDictionary<long, string>? ClassNames)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes the record as JSON, atomically.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads a record written by <see cref="Write"/>; a malformed file is an error naming it.</summary>
    public static IndexInfo Read(string path)
    {
        try
        {
            var info = JsonSerializer.Deserialize<IndexInfo>(File.ReadAllText(path), Json);
            if (info is null || string.IsNullOrEmpty(info.Checkpoint) || string.IsNullOrEmpty(info.WeightsSha256))
                throw new InvalidDataException($"{path}: not an index record (needs checkpoint and weights_sha256)");
            return info;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}");
        }
    }
}
