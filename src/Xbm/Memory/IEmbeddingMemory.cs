using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// A store of embeddings from earlier iterations that serve as keys for the memory loss. A memory owns its
/// tensors (preallocated, written in place, outside any DisposeScope). Variants differ only in how they write
/// (FIFO ring, per-instance momentum) or read (moment-matched).
/// </summary>
public interface IEmbeddingMemory : IDisposable
{
    /// <summary>Rows the memory can hold.</summary>
    long Capacity { get; }

    /// <summary>Filled rows (a counter, never inferred from label values).</summary>
    long Count { get; }

    /// <summary>Embedding dimension d.</summary>
    long Dimension { get; }

    /// <summary>The filled keys, Count×d (a view; do not dispose).</summary>
    Tensor Keys { get; }

    /// <summary>Labels of the filled rows, Count (int64).</summary>
    Tensor Labels { get; }

    /// <summary>Dataset indices of the filled rows, Count (int64).</summary>
    Tensor Indices { get; }

    /// <summary>Iteration at which each filled row was written, Count (int64).</summary>
    Tensor Iterations { get; }

    /// <summary>
    /// Stores a batch. <paramref name="embeddings"/> must be detached (B×d); labels and indices are int64 of
    /// length B. Returns, per batch row, the slot now holding that row among the filled keys, or -1 when the
    /// row did not survive (capacity smaller than the batch); the trainer masks these pairs as self-pairs.
    /// </summary>
    Tensor Enqueue(Tensor embeddings, Tensor labels, Tensor indices, long iteration);

    /// <summary>Empties the memory (contents stay allocated).</summary>
    void Reset();

    /// <summary>A copy of the contents and pointers, for checkpoints.</summary>
    MemoryState GetState();

    /// <summary>Restores contents and pointers written by <see cref="GetState"/>.</summary>
    void LoadState(MemoryState state);
}
