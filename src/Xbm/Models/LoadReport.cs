using System.Text;

namespace Xbm.Models;

/// <summary>A tensor whose shape or dtype in the file does not fit the model.</summary>
/// <param name="Key">The state_dict key.</param>
/// <param name="ModelShape">Shape the model expects.</param>
/// <param name="FileShape">Shape in the file.</param>
/// <param name="ModelDType">The model's dtype (safetensors name, e.g. F32).</param>
/// <param name="FileDType">The file's dtype.</param>
public sealed record TensorMismatch(string Key, long[] ModelShape, long[] FileShape, string ModelDType, string FileDType)
{
    /// <summary>"key: the file has F32 [64, 3, 3, 3], the model expects F32 [64, 3, 7, 7]".</summary>
    public override string ToString() =>
        $"{Key}: the file has {FileDType} [{string.Join(", ", FileShape)}], the model expects {ModelDType} [{string.Join(", ", ModelShape)}]";
}

/// <summary>
/// What loading a weights file into a model did, key by key: loaded, missing from the file, unexpected (in the
/// file, not in the model), ignored (a known classifier head such as torchvision's fc.*), mismatched (wrong
/// shape or incompatible dtype; always fatal) and converted (a float dtype widened or narrowed, e.g. F16 → F32).
/// </summary>
public sealed record LoadReport
{
    /// <summary>The file (or other source) the tensors came from.</summary>
    public required string Source { get; init; }

    /// <summary>Keys copied into the model.</summary>
    public required IReadOnlyList<string> Loaded { get; init; }

    /// <summary>Model keys absent from the file (they keep their current values).</summary>
    public required IReadOnlyList<string> Missing { get; init; }

    /// <summary>File keys the model does not have and that no ignored prefix covers.</summary>
    public required IReadOnlyList<string> Unexpected { get; init; }

    /// <summary>File keys under an ignored prefix (classification heads), skipped on purpose.</summary>
    public required IReadOnlyList<string> Ignored { get; init; }

    /// <summary>Keys whose shape or dtype kind does not fit.</summary>
    public required IReadOnlyList<TensorMismatch> Mismatched { get; init; }

    /// <summary>Keys loaded with a dtype conversion, as "key: F16 → F32".</summary>
    public required IReadOnlyList<string> Converted { get; init; }

    /// <summary>
    /// Missing keys that strict loading does not forgive: every missing key except BatchNorm's
    /// num_batches_tracked counters, which files written before PyTorch 0.4.1 (such as the BN-Inception port)
    /// do not have and which do not affect the forward pass.
    /// </summary>
    public IReadOnlyList<string> MissingRequired => Missing.Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && k != "num_batches_tracked").ToList();

    /// <summary>The reasons loading fails: always the mismatches; with <paramref name="strict"/> also required missing keys and unexpected keys.</summary>
    public IReadOnlyList<string> Problems(bool strict)
    {
        var problems = Mismatched.Select(m => $"mismatched {m}").ToList();
        if (strict)
        {
            problems.AddRange(MissingRequired.Select(k => $"missing from the file: {k}"));
            problems.AddRange(Unexpected.Select(k => $"unexpected in the file (not in the model): {k}"));
        }
        return problems;
    }

    /// <summary>One line: counts per category.</summary>
    public string Summary() =>
        $"{Loaded.Count} loaded, {Missing.Count} missing, {Unexpected.Count} unexpected, {Ignored.Count} ignored, {Mismatched.Count} mismatched, {Converted.Count} converted";

    /// <summary>A multi-line description: the summary, then every key that was not simply loaded.</summary>
    public override string ToString()
    {
        var text = new StringBuilder($"{Source}: {Summary()}");
        void Section(string title, IEnumerable<string> keys)
        {
            foreach (string k in keys)
                text.Append('\n').Append("  ").Append(title).Append(": ").Append(k);
        }
        Section("missing", Missing);
        Section("unexpected", Unexpected);
        Section("ignored", Ignored);
        Section("mismatched", Mismatched.Select(m => m.ToString()));
        Section("converted", Converted);
        return text.ToString();
    }
}
