using TorchSharp;
using Xbm.IO;
using Xbm.IO.PyTorch;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>Options of <see cref="WeightLoader"/>.</summary>
public sealed record WeightLoadOptions
{
    /// <summary>
    /// Fail on model keys missing from the file (BatchNorm num_batches_tracked excepted) and on unexpected file
    /// keys. Mismatched shapes always fail.
    /// </summary>
    public bool Strict { get; init; } = true;

    /// <summary>File key prefixes to skip without complaint (classification heads such as "fc.").</summary>
    public IReadOnlyList<string> IgnoredPrefixes { get; init; } = [];
}

/// <summary>
/// Loads a state dict into a module by name (parameters and buffers), with a <see cref="LoadReport"/>: a
/// .safetensors file (e.g. a torchvision checkpoint converted with the recipe in docs/weights.md) or a PyTorch
/// .pth/.pt file as torch.save writes it (<see cref="PyTorchCheckpoint"/>); and saves a module's state dict so
/// that loading it back is bit-exact.
/// </summary>
public static class WeightLoader
{
    /// <summary>Writes every parameter and buffer of <paramref name="module"/> under its state_dict name.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Save(path, module.state_dict(), metadata);

    /// <summary>
    /// Compares the file with the model without copying anything (for <c>xbm weights inspect --model</c>): the
    /// report of what <see cref="Load(nn.Module, string, WeightLoadOptions?)"/> would do. A .safetensors file is
    /// judged by its header; a PyTorch file has to be read whole.
    /// </summary>
    public static LoadReport Check(nn.Module module, string path, WeightLoadOptions? options = null)
    {
        if (PyTorchCheckpoint.IsPyTorchFile(path))
        {
            using var state = PyTorchCheckpoint.Load(path);
            var shapes = state.Tensors.ToDictionary(p => p.Key, p => (p.Value.shape, p.Value.dtype), StringComparer.Ordinal);
            return Compare(module.state_dict(), shapes, path, options ?? new WeightLoadOptions());
        }
        var (entries, _) = SafeTensors.Inspect(path);
        var files = entries.ToDictionary(e => e.Name, e => (e.Shape, e.DType), StringComparer.Ordinal);
        return Compare(module.state_dict(), files, path, options ?? new WeightLoadOptions());
    }

    /// <summary>
    /// Loads the tensors of <paramref name="path"/> (.safetensors, or .pth/.pt in either torch.save format) into <paramref name="module"/>. Throws
    /// <see cref="InvalidDataException"/> naming the file and the keys when a shape does not fit, or, when
    /// strict, when keys are missing or unexpected. Nothing is copied unless the whole file is acceptable.
    /// </summary>
    public static LoadReport Load(nn.Module module, string path, WeightLoadOptions? options = null)
    {
        options ??= new WeightLoadOptions();
        if (PyTorchCheckpoint.IsPyTorchFile(path))
        {
            using var state = PyTorchCheckpoint.Load(path);
            return Load(module, state.Tensors, path, options);
        }
        var report = Check(module, path, options);
        ThrowOnProblems(report, options);
        var (tensors, _) = SafeTensors.Load(path);
        try
        {
            Copy(module.state_dict(), tensors, report);
        }
        finally
        {
            foreach (var t in tensors.Values)
                t.Dispose();
        }
        return report;
    }

    /// <summary>Loads in-memory tensors (CPU or any device) into <paramref name="module"/>; <paramref name="source"/> names them in messages.</summary>
    public static LoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source, WeightLoadOptions? options = null)
    {
        options ??= new WeightLoadOptions();
        var targets = module.state_dict();
        var files = tensors.ToDictionary(p => p.Key, p => (p.Value.shape, p.Value.dtype), StringComparer.Ordinal);
        var report = Compare(targets, files, source, options);
        ThrowOnProblems(report, options);
        Copy(targets, tensors, report);
        return report;
    }

    private static LoadReport Compare(Dictionary<string, Tensor> targets, Dictionary<string, (long[] Shape, ScalarType DType)> file, string source, WeightLoadOptions options)
    {
        var loaded = new List<string>();
        var missing = new List<string>();
        var unexpected = new List<string>();
        var ignored = new List<string>();
        var mismatched = new List<TensorMismatch>();
        var converted = new List<string>();
        foreach (var (key, target) in targets.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!file.TryGetValue(key, out var found))
            {
                missing.Add(key);
                continue;
            }
            bool shapeFits = found.Shape.SequenceEqual(target.shape);
            bool kindFits = IsFloat(found.DType) == IsFloat(target.dtype) && (found.DType == ScalarType.Bool) == (target.dtype == ScalarType.Bool);
            if (!shapeFits || !kindFits)
            {
                mismatched.Add(new TensorMismatch(key, target.shape, found.Shape, DTypeName(target.dtype), DTypeName(found.DType)));
                continue;
            }
            loaded.Add(key);
            if (found.DType != target.dtype)
                converted.Add($"{key}: {DTypeName(found.DType)} → {DTypeName(target.dtype)}");
        }
        foreach (string key in file.Keys.Where(k => !targets.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal))
        {
            if (options.IgnoredPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
                ignored.Add(key);
            else
                unexpected.Add(key);
        }
        return new LoadReport
        {
            Source = source, Loaded = loaded, Missing = missing, Unexpected = unexpected, Ignored = ignored,
            Mismatched = mismatched, Converted = converted,
        };
    }

    private static void ThrowOnProblems(LoadReport report, WeightLoadOptions options)
    {
        var problems = report.Problems(options.Strict);
        if (problems.Count == 0)
            return;
        const int shown = 20;
        string list = string.Join("\n  ", problems.Take(shown));
        string more = problems.Count > shown ? $"\n  … and {problems.Count - shown} more" : "";
        string hint = options.Strict && report.Mismatched.Count == 0 ? "\n(set model.strict: false to load the keys that match)" : "";
        throw new InvalidDataException($"{report.Source}: cannot load weights ({report.Summary()}):\n  {list}{more}{hint}");
    }

    private static void Copy(Dictionary<string, Tensor> targets, IReadOnlyDictionary<string, Tensor> tensors, LoadReport report)
    {
        using var noGrad = no_grad();
        foreach (string key in report.Loaded)
            targets[key].copy_(tensors[key]); // copy_ converts dtype (F16 → F32, …) and device
    }

    private static bool IsFloat(ScalarType t) => t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    private static string DTypeName(ScalarType t)
    {
        try
        {
            return SafeTensors.DTypeName(t);
        }
        catch (NotSupportedException)
        {
            return t.ToString();
        }
    }
}
