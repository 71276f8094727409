using System.Collections;
using static TorchSharp.torch;

namespace Xbm.IO.PyTorch;

/// <summary>
/// Reads a state dict written by PyTorch's torch.save (.pth, .pt), in either format: the zip format (the default
/// since PyTorch 1.6, read with TorchSharp.PyBridge) or the legacy one (<c>_use_new_zipfile_serialization=False</c>,
/// read by <see cref="LegacyTorchFile"/>, which PyBridge refuses). The file may hold the state dict itself, or a
/// checkpoint dictionary with it under "state_dict" or "model"; a "module." prefix on every key (DataParallel) is
/// removed. No Python code is run: a file holding a pickled nn.Module instead of its state_dict is refused.
/// </summary>
public static class PyTorchCheckpoint
{
    private static readonly string[] Extensions = [".pth", ".pt", ".bin", ".ckpt", ".tar"];
    private static readonly string[] WrapperKeys = ["state_dict", "model"];
    private const string ModulePrefix = "module.";

    /// <summary>
    /// True when <paramref name="path"/> should be read as a PyTorch checkpoint: its extension is .pth, .pt, .bin,
    /// .ckpt or .tar, or (any other extension but .safetensors) it starts like a zip archive or a pickle.
    /// </summary>
    public static bool IsPyTorchFile(string path)
    {
        string ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (Extensions.Contains(ext))
            return true;
        if (ext == ".safetensors" || !File.Exists(path))
            return false;
        Span<byte> head = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return ZipTorchFile.Looks(head[..n]) || LegacyTorchFile.Looks(head[..n]);
    }

    /// <summary>
    /// Reads the state dict of <paramref name="path"/> (tensors on the CPU). Throws <see cref="InvalidDataException"/>
    /// naming the file when it is neither torch.save format, truncated or damaged, or holds no dictionary of tensors.
    /// </summary>
    public static PyTorchStateDict Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] head = new byte[4];
        int n;
        using (var stream = InputFile.OpenRead(path, "a PyTorch checkpoint (.pth)"))
            n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        string format;
        object? root;
        if (ZipTorchFile.Looks(head.AsSpan(0, n)))
            (format, root) = ("zip", ZipTorchFile.Read(path));
        else if (LegacyTorchFile.Looks(head.AsSpan(0, n)))
            (format, root) = ("legacy", LegacyTorchFile.Read(path));
        else
            throw new InvalidDataException($"{path}: not a PyTorch checkpoint: it is neither torch.save's zip format nor its legacy pickle format");
        var all = new List<Tensor>();
        CollectTensors(root, all);
        try
        {
            var (tensors, origin) = StateDict(root, path);
            var kept = new HashSet<Tensor>(tensors.Values, ReferenceEqualityComparer.Instance);
            foreach (var t in all.Where(t => !kept.Contains(t)))
                t.Dispose();
            return new PyTorchStateDict(path, format, origin, tensors);
        }
        catch
        {
            foreach (var t in all)
                t.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, Tensor> Tensors, string Origin) StateDict(object? root, string path)
    {
        if (root is not IDictionary top)
            throw new InvalidDataException($"{path}: holds {Describe(root)}, not a state dict (a dictionary of tensors); save model.state_dict() with torch.save");
        IDictionary dict = top;
        string origin = "the top level";
        if (!Values(top).OfType<Tensor>().Any())
        {
            foreach (string key in WrapperKeys)
            {
                if (!top.Contains(key))
                    continue;
                dict = top[key] as IDictionary ?? throw new InvalidDataException($"{path}: '{key}' holds {Describe(top[key])}, not a state dict (a dictionary of tensors); save model.state_dict() with torch.save");
                origin = $"'{key}'";
                break;
            }
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in dict)
        {
            if (e.Value is Tensor t)
                tensors[e.Key as string ?? throw new InvalidDataException($"{path}: {origin}: a tensor under the key {e.Key} ({e.Key.GetType().Name}), not a name")] = t;
        }
        if (tensors.Count == 0)
        {
            string keys = string.Join(", ", top.Keys.Cast<object>().Select(k => $"'{k}'").Take(10));
            throw new InvalidDataException($"{path}: no tensors at the top level nor under {string.Join(" or ", WrapperKeys.Select(k => $"'{k}'"))} (top-level keys: {keys}); not a state dict");
        }
        if (tensors.Keys.All(k => k.StartsWith(ModulePrefix, StringComparison.Ordinal)))
        {
            tensors = tensors.ToDictionary(p => p.Key[ModulePrefix.Length..], p => p.Value, StringComparer.Ordinal);
            origin += $", prefix '{ModulePrefix}' removed";
        }
        return (tensors, origin);
    }

    private static IEnumerable<object?> Values(IDictionary dict)
    {
        foreach (DictionaryEntry e in dict)
            yield return e.Value;
    }

    private static void CollectTensors(object? node, List<Tensor> into)
    {
        switch (node)
        {
            case Tensor t:
                into.Add(t);
                break;
            case IDictionary d:
                foreach (var v in Values(d))
                    CollectTensors(v, into);
                break;
            case string or byte[]:
                break;
            case IEnumerable items:
                foreach (var v in items)
                    CollectTensors(v, into);
                break;
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        PickleObject o => $"a pickled Python object ({o.Class})",
        Tensor => "a single tensor",
        IList => "a list",
        _ => $"a {value.GetType().Name}",
    };
}
