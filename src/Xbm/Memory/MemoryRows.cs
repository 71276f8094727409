using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// The storage the stored memories share (<see cref="CrossBatchMemory"/>, <see cref="MomentumMemory"/>):
/// Capacity rows of embeddings, labels, dataset indices and write iterations, the filled rows first. Empty rows
/// hold zeros and -1. Checkpoints name the four tensors "embeddings", "labels", "indices" and "iterations".
/// </summary>
internal sealed class MemoryRows : IDisposable
{
    /// <summary>Allocates <paramref name="capacity"/> empty rows of dimension <paramref name="dimension"/>.</summary>
    public MemoryRows(long capacity, long dimension, Device device, ScalarType dtype)
    {
        Dimension = dimension;
        Embeddings = zeros(capacity, dimension, dtype: dtype, device: device).DetachFromDisposeScope();
        Labels = full(capacity, Scalars.MinusOne, dtype: int64, device: device).DetachFromDisposeScope();
        Indices = full(capacity, Scalars.MinusOne, dtype: int64, device: device).DetachFromDisposeScope();
        Iterations = full(capacity, Scalars.MinusOne, dtype: int64, device: device).DetachFromDisposeScope();
    }

    /// <summary>The embedding dimension d.</summary>
    public long Dimension { get; }

    /// <summary>All embedding rows, Capacity×d.</summary>
    public Tensor Embeddings { get; }

    /// <summary>All labels, Capacity (int64, -1 when empty).</summary>
    public Tensor Labels { get; }

    /// <summary>All dataset indices, Capacity (int64, -1 when empty).</summary>
    public Tensor Indices { get; }

    /// <summary>The iteration each row was last written, Capacity (int64, -1 when empty).</summary>
    public Tensor Iterations { get; }

    /// <summary>
    /// Checks a batch to enqueue (detached B×d embeddings, B labels, B dataset indices) and returns B.
    /// </summary>
    public long CheckBatch(Tensor embeddings, Tensor labels, Tensor indices)
    {
        if (embeddings.requires_grad)
            throw new ArgumentException("enqueue detached embeddings: the memory must not hold the autograd graph", nameof(embeddings));
        if (embeddings.dim() != 2 || embeddings.shape[1] != Dimension)
            throw new ArgumentException($"expected embeddings of shape [B, {Dimension}], got [{string.Join(", ", embeddings.shape)}]", nameof(embeddings));
        long batch = embeddings.shape[0];
        if (labels.shape[0] != batch || indices.shape[0] != batch)
            throw new ArgumentException($"embeddings, labels and indices disagree on the batch size ({batch}, {labels.shape[0]}, {indices.shape[0]})");
        return batch;
    }

    /// <summary>
    /// Writes rows <paramref name="slots"/> from the given embeddings, labels and dataset indices (one per slot,
    /// converted to the storage's type and device) at <paramref name="iteration"/>.
    /// </summary>
    public void Write(Tensor slots, Tensor embeddings, Tensor labels, Tensor indices, long iteration)
    {
        using var noGrad = no_grad();
        var device = Embeddings.device;
        Embeddings.index_copy_(0, slots, embeddings.to(Embeddings.dtype, device));
        Labels.index_copy_(0, slots, labels.to(int64, device));
        Indices.index_copy_(0, slots, indices.to(int64, device));
        using var at = iteration.ToScalar();
        Iterations.index_fill_(0, slots, at);
    }

    /// <summary>Empties every row.</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        Embeddings.zero_();
        Labels.fill_(Scalars.MinusOne);
        Indices.fill_(Scalars.MinusOne);
        Iterations.fill_(Scalars.MinusOne);
    }

    /// <summary>Rows allocated (the memory's capacity).</summary>
    public long Capacity => Embeddings.shape[0];

    /// <summary>A new checkpoint state of <paramref name="kind"/>: CPU copies of the four tensors and the capacity.</summary>
    public MemoryState NewState(string kind)
    {
        var state = new MemoryState { Kind = kind };
        SaveTo(state);
        state.Scalars["capacity"] = Capacity;
        return state;
    }

    /// <summary>
    /// Throws unless <paramref name="state"/> was saved by a memory of <paramref name="kind"/> with this capacity and
    /// dimension; <paramref name="capacityHint"/> is added to the capacity error.
    /// </summary>
    public void CheckState(MemoryState state, string kind, string capacityHint = "")
    {
        if (state.Kind != kind)
            throw new InvalidDataException($"cannot load a '{state.Kind}' memory state into a '{kind}' memory");
        if ((long)state.Scalar("capacity") != Capacity)
            throw new InvalidDataException($"memory state has capacity {(long)state.Scalar("capacity")}, this {kind} memory has {Capacity}{capacityHint}");
        CheckDimension(state);
    }

    /// <summary>Adds CPU copies of the four tensors to <paramref name="state"/>.</summary>
    private void SaveTo(MemoryState state)
    {
        state.Tensors["embeddings"] = Embeddings.cpu().clone().DetachFromDisposeScope();
        state.Tensors["labels"] = Labels.cpu().clone().DetachFromDisposeScope();
        state.Tensors["indices"] = Indices.cpu().clone().DetachFromDisposeScope();
        state.Tensors["iterations"] = Iterations.cpu().clone().DetachFromDisposeScope();
    }

    /// <summary>Throws when <paramref name="state"/>'s embeddings have another dimension than this storage.</summary>
    public void CheckDimension(MemoryState state)
    {
        long dimension = state.Tensor("embeddings").shape[1];
        if (dimension != Dimension)
            throw new InvalidDataException($"memory state has dimension {dimension}, this memory has {Dimension}");
    }

    /// <summary>Copies the four tensors from <paramref name="state"/> (checked with <see cref="CheckDimension"/> first).</summary>
    public void LoadFrom(MemoryState state)
    {
        CheckDimension(state);
        using var noGrad = no_grad();
        Embeddings.copy_(state.Tensor("embeddings"));
        Labels.copy_(state.Tensor("labels"));
        Indices.copy_(state.Tensor("indices"));
        Iterations.copy_(state.Tensor("iterations"));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Embeddings.Dispose();
        Labels.Dispose();
        Indices.Dispose();
        Iterations.Dispose();
    }
}
