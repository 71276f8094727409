namespace Xbm.Models;

/// <summary>
/// Starting weights from another run of this tool (<c>model.weights: RUN</c>): the model tensors (backbone and
/// head) of a checkpoint folder, or of a run folder's latest checkpoint. Optimizer, memory and iteration are not
/// taken. A model of another architecture is refused, naming the first keys that differ and their shapes.
/// </summary>
public static class CheckpointWeights
{
    private const int Shown = 3;

    /// <summary>The checkpoint folder <paramref name="folder"/> names (itself, or a run folder's latest), or null when it is neither.</summary>
    public static string? Resolve(string folder)
    {
        if (File.Exists(Path.Combine(folder, "model.safetensors")) && File.Exists(Path.Combine(folder, "trainer.json")))
            return folder;
        string pointer = Path.Combine(folder, "checkpoints", "latest");
        if (!File.Exists(pointer))
            return null;
        string latest = Path.Combine(folder, "checkpoints", File.ReadAllText(pointer).Trim());
        return File.Exists(Path.Combine(latest, "model.safetensors")) ? latest : null;
    }

    /// <summary>
    /// Loads the checkpoint's model.safetensors into <paramref name="model"/>. Throws <see cref="InvalidDataException"/>
    /// with a one-line message when a shape differs or, with <paramref name="strict"/>, a key is missing or unexpected.
    /// </summary>
    public static LoadReport Load(EmbeddingModel model, string checkpoint, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        string path = Path.Combine(checkpoint, "model.safetensors");
        var report = WeightLoader.Check(model, path, new WeightLoadOptions { Strict = strict });
        var problems = report.Mismatched.Select(m => $"'{m.Key}' is [{string.Join(", ", m.FileShape)}] in the checkpoint, [{string.Join(", ", m.ModelShape)}] in this model")
            .Concat(strict ? report.MissingRequired.Select(k => $"'{k}' is not in the checkpoint") : [])
            .Concat(strict ? report.Unexpected.Select(k => $"'{k}' is not in this model") : [])
            .ToList();
        if (problems.Count > 0)
            throw new InvalidDataException($"{checkpoint}: the checkpoint's model has another architecture than this config's model: {string.Join("; ", problems.Take(Shown))}"
                + (problems.Count > Shown ? $" (and {problems.Count - Shown} more)" : ""));
        return WeightLoader.Load(model, path, new WeightLoadOptions { Strict = strict });
    }
}
