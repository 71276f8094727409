using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// The XBM memory: a preallocated FIFO ring of embeddings, labels, dataset indices and write iterations.
/// Enqueue writes B rows at the write pointer and wraps row by row, so the order is strictly first-in,
/// first-out for any capacity (also when it is not a multiple of B). Fullness is a counter.
/// </summary>
/// <remarks>
/// The reference implementation overwrites the last B slots on wrap-around and infers fullness from the last
/// slot's label; both are deliberately not copied (docs/design.md §1).
/// </remarks>
public sealed class CrossBatchMemory : IEmbeddingMemory
{
    private readonly MemoryRows _rows;
    private long _pointer;
    private long _count;

    /// <summary>Allocates a memory of <paramref name="capacity"/> rows of dimension <paramref name="dimension"/>.</summary>
    public CrossBatchMemory(long capacity, long dimension, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "memory capacity must be positive");
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "embedding dimension must be positive");
        Capacity = capacity;
        Dimension = dimension;
        _rows = new MemoryRows(capacity, dimension, device ?? CPU, dtype);
    }

    /// <summary>The memory kind name used in configs and checkpoints.</summary>
    public const string KindName = "fifo";

    /// <inheritdoc />
    public long Capacity { get; }

    /// <inheritdoc />
    public long Dimension { get; }

    /// <inheritdoc />
    public long Count => _count;

    /// <summary>The next slot to be written.</summary>
    public long WritePointer => _pointer;

    /// <inheritdoc />
    public Tensor Keys => _rows.Embeddings.narrow(0, 0, _count);

    /// <inheritdoc />
    public Tensor Labels => _rows.Labels.narrow(0, 0, _count);

    /// <inheritdoc />
    public Tensor Indices => _rows.Indices.narrow(0, 0, _count);

    /// <inheritdoc />
    public Tensor Iterations => _rows.Iterations.narrow(0, 0, _count);

    /// <summary>The whole embedding storage, Capacity×d (for variants that rewrite rows in place).</summary>
    internal Tensor Storage => _rows.Embeddings;

    /// <inheritdoc />
    public Tensor Enqueue(Tensor embeddings, Tensor labels, Tensor indices, long iteration)
    {
        long batch = _rows.CheckBatch(embeddings, labels, indices);

        using var noGrad = no_grad();
        var device = _rows.Embeddings.device;
        // Row r of the batch goes to slot (pointer + r) mod capacity; when B > capacity only the last
        // `capacity` rows survive, and the earlier ones get slot -1.
        long skipped = Math.Max(0, batch - Capacity);
        using var first = skipped.ToScalar();
        using var end = batch.ToScalar();
        using var start = (_pointer + skipped).ToScalar();
        using var capacity = Capacity.ToScalar();
        var rows = arange(first, end, Scalars.One, dtype: int64, device: device);
        var slots = rows.sub(first).add_(start, Scalars.One).remainder(capacity);
        _rows.Write(slots, embeddings.index_select(0, rows.to(embeddings.device)), labels.index_select(0, rows.to(labels.device)),
            indices.index_select(0, rows.to(indices.device)), iteration);

        _pointer = (_pointer + batch) % Capacity;
        _count = Math.Min(Capacity, _count + batch);

        var result = full(batch, Scalars.MinusOne, dtype: int64, device: device);
        result.index_copy_(0, rows, slots);
        return result;
    }

    /// <inheritdoc />
    public void Reset()
    {
        _rows.Reset();
        _pointer = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public MemoryState GetState()
    {
        var state = _rows.NewState(KindName);
        state.Scalars["pointer"] = _pointer;
        state.Scalars["count"] = _count;
        return state;
    }

    /// <inheritdoc />
    public void LoadState(MemoryState state)
    {
        _rows.CheckState(state, KindName);
        _rows.LoadFrom(state);
        _pointer = (long)state.Scalar("pointer");
        _count = (long)state.Scalar("count");
    }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();
}
