using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// The momentum bank (docs/design.md §3): one slot per training image, addressed by dataset index. The first
/// sighting of image i writes its query q_i; each later sighting updates slot_i ← normalise(m·slot_i + (1 − m)·q_i).
/// Slots of images not seen yet are not keys.
/// </summary>
/// <remarks>
/// Seen slots are kept compacted: a slot is given the next free row the first time its image is seen, so the
/// filled keys are always the first <see cref="Count"/> rows (in order of first sighting) and
/// <see cref="Keys"/> is a view, never a gather. A host-side table maps dataset index → row, so an enqueue
/// costs O(B) host work and O(B·d) device work, independent of the dataset size. When the same image occurs
/// twice in one batch its rows are applied in batch order, as if enqueued one after the other.
/// <see cref="Iterations"/> holds the iteration at which each slot was last written.
/// </remarks>
public sealed class MomentumMemory : IEmbeddingMemory
{
    /// <summary>The memory kind name used in configs and checkpoints.</summary>
    public const string KindName = "momentum";

    /// <summary>The default momentum m (the instance-discrimination memory bank's value).</summary>
    public const double DefaultMomentum = 0.5;

    private readonly MemoryRows _rows;
    private readonly long[] _rowOfIndex;
    private long _count;

    /// <summary>Allocates a bank of <paramref name="datasetSize"/> slots of dimension <paramref name="dimension"/>.</summary>
    public MomentumMemory(long datasetSize, long dimension, double momentum = DefaultMomentum, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (datasetSize <= 0 || datasetSize > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(datasetSize), datasetSize, "the dataset size must be in [1, 2^31 - 1]");
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "embedding dimension must be positive");
        if (!(momentum >= 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1]");
        Capacity = datasetSize;
        Dimension = dimension;
        Momentum = momentum;
        _rows = new MemoryRows(datasetSize, dimension, device ?? CPU, dtype);
        _rowOfIndex = new long[datasetSize];
        Array.Fill(_rowOfIndex, -1L);
    }

    /// <summary>The momentum m: the weight of the stored slot in an update.</summary>
    public double Momentum { get; }

    /// <summary>Slots: the dataset size.</summary>
    public long Capacity { get; }

    /// <inheritdoc />
    public long Dimension { get; }

    /// <summary>Slots seen at least once.</summary>
    public long Count => _count;

    /// <summary>The seen slots, Count×d, in order of first sighting (a view; do not dispose).</summary>
    public Tensor Keys => _rows.Embeddings.narrow(0, 0, _count);

    /// <inheritdoc />
    public Tensor Labels => _rows.Labels.narrow(0, 0, _count);

    /// <summary>The dataset index of each seen slot, Count (int64).</summary>
    public Tensor Indices => _rows.Indices.narrow(0, 0, _count);

    /// <summary>The iteration each seen slot was last written, Count (int64).</summary>
    public Tensor Iterations => _rows.Iterations.narrow(0, 0, _count);

    /// <summary>The row of <see cref="Keys"/> holding dataset image <paramref name="datasetIndex"/>, or -1 when unseen.</summary>
    public long RowOf(long datasetIndex)
    {
        if (datasetIndex < 0 || datasetIndex >= Capacity)
            throw new ArgumentOutOfRangeException(nameof(datasetIndex), datasetIndex, $"dataset index out of range [0, {Capacity})");
        return _rowOfIndex[datasetIndex];
    }

    /// <summary>
    /// Writes a batch into the slots of its dataset indices and returns, per batch row, the row of
    /// <see cref="Keys"/> holding that image (never -1: every row has a slot).
    /// </summary>
    public Tensor Enqueue(Tensor embeddings, Tensor labels, Tensor indices, long iteration)
    {
        long batch = _rows.CheckBatch(embeddings, labels, indices);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[] datasetIndices = indices.to(int64).cpu().data<long>().ToArray();
        foreach (long index in datasetIndices)
            if (index < 0 || index >= Capacity)
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"dataset index out of range [0, {Capacity}) for a momentum bank of the training set");

        // Pass k holds the k-th occurrence of each dataset index in the batch (one pass unless duplicates).
        var occurrence = new Dictionary<long, int>();
        var passes = new List<List<int>>();
        for (int r = 0; r < datasetIndices.Length; r++)
        {
            occurrence.TryGetValue(datasetIndices[r], out int k);
            occurrence[datasetIndices[r]] = k + 1;
            if (k == passes.Count)
                passes.Add(new List<int>());
            passes[k].Add(r);
        }

        var device = _rows.Embeddings.device;
        var source = embeddings.to(_rows.Embeddings.dtype, device);
        var sourceLabels = labels.to(int64, device);
        var sourceIndices = indices.to(int64, device);
        var rowOfBatchRow = new long[batch];
        foreach (var pass in passes)
        {
            var slots = new long[pass.Count];
            var fresh = new bool[pass.Count];
            for (int j = 0; j < pass.Count; j++)
            {
                long index = datasetIndices[pass[j]];
                if (_rowOfIndex[index] < 0)
                {
                    _rowOfIndex[index] = _count++;
                    fresh[j] = true;
                }
                slots[j] = _rowOfIndex[index];
                rowOfBatchRow[pass[j]] = slots[j];
            }
            var rows = tensor(pass.Select(r => (long)r).ToArray(), dtype: int64, device: device);
            var slotTensor = tensor(slots, dtype: int64, device: device);
            var freshMask = tensor(fresh, device: device).unsqueeze(1);
            var queries = source.index_select(0, rows);
            var old = _rows.Embeddings.index_select(0, slotTensor);
            using var momentum = Momentum.ToScalar();
            using var complement = (1 - Momentum).ToScalar();
            var blended = nn.functional.normalize(old.mul(momentum).add_(queries, complement), p: 2, dim: 1);
            _rows.Write(slotTensor, where(freshMask, queries, blended), sourceLabels.index_select(0, rows), sourceIndices.index_select(0, rows), iteration);
        }
        return tensor(rowOfBatchRow, dtype: int64, device: device).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Reset()
    {
        _rows.Reset();
        Array.Fill(_rowOfIndex, -1L);
        _count = 0;
    }

    /// <summary>
    /// Contents for checkpoints: the compacted rows ("embeddings", "labels", "indices", "iterations"), the
    /// dataset-index → row table "row_of_index" (-1 = unseen: the seen mask) and the count.
    /// </summary>
    public MemoryState GetState()
    {
        var state = _rows.NewState(KindName);
        state.Tensors["row_of_index"] = tensor(_rowOfIndex, dtype: int64).DetachFromDisposeScope();
        state.Scalars["count"] = _count;
        return state;
    }

    /// <inheritdoc />
    public void LoadState(MemoryState state)
    {
        _rows.CheckState(state, KindName, " (one slot per training image: did the dataset change?)");
        long count = (long)state.Scalar("count");
        var table = state.Tensor("row_of_index");
        if (table.numel() != Capacity)
            throw new InvalidDataException($"memory state's row_of_index has {table.numel()} entries, expected {Capacity}");
        long[] rowOfIndex = table.to(int64).cpu().data<long>().ToArray();
        if (rowOfIndex.Count(r => r >= 0) != count || rowOfIndex.Any(r => r >= count))
            throw new InvalidDataException($"memory state's row_of_index disagrees with its count {count}");

        _rows.LoadFrom(state);
        Array.Copy(rowOfIndex, _rowOfIndex, rowOfIndex.Length);
        _count = count;
    }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();
}
