using TorchSharp;
using Xbm.Memory;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

public class CrossBatchMemoryTests
{
    /// <summary>A batch whose row r has value (first + r) in every dimension, label (first + r), index (first + r).</summary>
    private static (Tensor Embeddings, Tensor Labels, Tensor Indices) Numbered(long first, long batch, long dim)
    {
        using var start = first.ToScalar();
        using var stop = (first + batch).ToScalar();
        var ids = arange(start, stop, Scalars.One, dtype: int64);
        return (ids.to(float32).unsqueeze(1).expand(batch, dim).contiguous(), ids.clone(), ids.clone());
    }

    /// <summary>Reference FIFO: a list of ids, newest last, keeping the last <paramref name="capacity"/>.</summary>
    private static List<long> Expected(long capacity, long total) =>
        Enumerable.Range(0, (int)total).Select(i => (long)i).Skip((int)Math.Max(0, total - capacity)).ToList();

    [Theory]
    [InlineData(7, 3)]   // capacity not a multiple of the batch
    [InlineData(10, 4)]
    [InlineData(2, 5)]   // capacity smaller than the batch
    [InlineData(5, 5)]
    public void EnqueueIsStrictFifoUnderWrapAround(long capacity, long batch)
    {
        using var scope = NewDisposeScope();
        using var memory = new CrossBatchMemory(capacity, 3);
        long written = 0;
        for (int step = 0; step < 9; step++)
        {
            var (e, l, i) = Numbered(written, batch, 3);
            long pointerBefore = memory.WritePointer;
            var slots = Tensors.Longs(memory.Enqueue(e, l, i, iteration: step + 1));
            written += batch;

            // Fill count is a counter: min(capacity, rows written).
            Assert.Equal(Math.Min(capacity, written), memory.Count);
            Assert.Equal(written % capacity, memory.WritePointer);

            // Slots: row r went to (pointer + r) mod capacity; rows that cannot survive get -1.
            long skipped = Math.Max(0, batch - capacity);
            for (long r = 0; r < batch; r++)
                Assert.Equal(r < skipped ? -1 : (pointerBefore + r) % capacity, slots[r]);
            // ... and the slot returned for a row holds that row.
            var ids = Tensors.Longs(memory.Indices);
            for (long r = skipped; r < batch; r++)
                Assert.Equal(written - batch + r, ids[slots[r]]);

            // Contents equal the last `capacity` rows, read oldest first from the write pointer.
            long count = memory.Count;
            var fromPointer = Enumerable.Range(0, (int)count)
                .Select(k => ids[(memory.WritePointer + k) % count]).ToList();
            if (count < capacity)
                fromPointer = ids.ToList(); // not yet wrapped: rows 0..count-1 in order
            Assert.Equal(Expected(capacity, written), fromPointer);

            // Embeddings, labels and iterations stay aligned with the indices.
            var keys = Tensors.ToMatrix(memory.Keys);
            var labels = Tensors.Longs(memory.Labels);
            for (int k = 0; k < count; k++)
            {
                Assert.Equal(ids[k], (long)keys[k, 2]);
                Assert.Equal(ids[k], labels[k]);
            }
        }
    }

    [Fact]
    public void IterationsRecordWhenEachRowWasWritten()
    {
        using var scope = NewDisposeScope();
        using var memory = new CrossBatchMemory(5, 2);
        for (int step = 1; step <= 3; step++)
        {
            var (e, l, i) = Numbered(step * 10, 2, 2);
            memory.Enqueue(e, l, i, iteration: 100 + step);
        }
        Assert.Equal(new long[] { 103, 101, 102, 102, 103 }, Tensors.Longs(memory.Iterations));
        Assert.Equal(3, MemoryStatistics.MeasureOldestAge(memory, 104));
    }

    [Fact]
    public void StateRoundTripRestoresContentsAndPointer()
    {
        using var scope = NewDisposeScope();
        using var a = new CrossBatchMemory(7, 3);
        for (int step = 0; step < 4; step++)
        {
            var (e, l, i) = Numbered(step * 3, 3, 3);
            a.Enqueue(e, l, i, step + 1);
        }
        using var state = a.GetState();
        using var b = new CrossBatchMemory(7, 3);
        b.LoadState(state);
        Assert.Equal(a.Count, b.Count);
        Assert.Equal(a.WritePointer, b.WritePointer);

        // Identical subsequent behaviour.
        for (int step = 4; step < 8; step++)
        {
            var (e, l, i) = Numbered(step * 3, 3, 3);
            Assert.Equal(Tensors.Longs(a.Enqueue(e, l, i, step + 1)), Tensors.Longs(b.Enqueue(e, l, i, step + 1)));
            Assert.True(Tensors.Same(a.Keys, b.Keys));
            Assert.Equal(Tensors.Longs(a.Labels), Tensors.Longs(b.Labels));
            Assert.Equal(Tensors.Longs(a.Indices), Tensors.Longs(b.Indices));
            Assert.Equal(Tensors.Longs(a.Iterations), Tensors.Longs(b.Iterations));
        }
    }

    [Fact]
    public void LoadingAStateOfAnotherCapacityOrKindFails()
    {
        using var scope = NewDisposeScope();
        using var a = new CrossBatchMemory(7, 3);
        using var state = a.GetState();
        using var smaller = new CrossBatchMemory(6, 3);
        Assert.Throws<InvalidDataException>(() => smaller.LoadState(state));
        using var momentum = new MomentumMemory(7, 3);
        Assert.Throws<InvalidDataException>(() => momentum.LoadState(state));
    }
}
