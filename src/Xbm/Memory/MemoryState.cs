using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// Everything a memory needs to resume exactly: named tensors (copied to the CPU) and named scalars.
/// The memory kind is stored so that a checkpoint of one kind is never loaded into another.
/// </summary>
public sealed class MemoryState : IDisposable
{
    /// <summary>The memory kind, e.g. "fifo".</summary>
    public required string Kind { get; init; }

    /// <summary>Tensors by name (CPU copies owned by this state).</summary>
    public Dictionary<string, Tensor> Tensors { get; } = new();

    /// <summary>Scalars by name (pointers, counters, filter state).</summary>
    public Dictionary<string, double> Scalars { get; } = new();

    /// <summary>Returns the tensor called <paramref name="name"/> or fails naming it.</summary>
    public Tensor Tensor(string name) =>
        Tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"memory state of kind '{Kind}' has no tensor '{name}'");

    /// <summary>Returns the scalar called <paramref name="name"/> or fails naming it.</summary>
    public double Scalar(string name) =>
        Scalars.TryGetValue(name, out var v) ? v : throw new InvalidDataException($"memory state of kind '{Kind}' has no scalar '{name}'");

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors.Values)
            t.Dispose();
        Tensors.Clear();
    }
}
