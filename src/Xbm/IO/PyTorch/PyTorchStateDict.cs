using static TorchSharp.torch;

namespace Xbm.IO.PyTorch;

/// <summary>The state dict read from a PyTorch checkpoint (<see cref="PyTorchCheckpoint.Load"/>); disposing it frees the tensors.</summary>
public sealed class PyTorchStateDict : IDisposable
{
    internal PyTorchStateDict(string path, string format, string origin, Dictionary<string, Tensor> tensors)
    {
        Path = path;
        Format = format;
        Origin = origin;
        Tensors = tensors;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>"zip" (torch.save's default since PyTorch 1.6) or "legacy".</summary>
    public string Format { get; }

    /// <summary>Where the tensors were found, e.g. "the top level" or "'state_dict', prefix 'module.' removed".</summary>
    public string Origin { get; }

    /// <summary>The tensors (on the CPU) by state_dict name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors.Values)
            t.Dispose();
    }
}
