using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

public class MomentumMemoryTests
{
    private static Tensor Rows(params float[][] rows) => tensor(rows.SelectMany(r => r).ToArray()).reshape(rows.Length, rows[0].Length);

    /// <summary>The key row of dataset image <paramref name="index"/>, found through <see cref="IEmbeddingMemory.Indices"/>.</summary>
    private static float[] SlotOf(IEmbeddingMemory memory, long index)
    {
        var indices = Tensors.Longs(memory.Indices);
        int row = Array.IndexOf(indices, index);
        Assert.True(row >= 0, $"image {index} should be a key");
        return memory.Keys[row].data<float>().ToArray();
    }

    [Fact]
    public void UpdatesSlotsAsInAHandComputedExample()
    {
        using var scope = NewDisposeScope();
        using var bank = new MomentumMemory(datasetSize: 5, dimension: 2, momentum: 0.5);

        // Step 1: images 2 and 0 seen for the first time: their slots are the queries.
        var slots1 = Tensors.Longs(bank.Enqueue(Rows([1, 0], [0.6f, 0.8f]), tensor(new long[] { 7, 8 }), tensor(new long[] { 2, 0 }), 1));
        Assert.Equal(2, bank.Count);
        Assert.Equal(new float[] { 1, 0 }, SlotOf(bank, 2));
        Assert.Equal(new float[] { 0.6f, 0.8f }, SlotOf(bank, 0));

        // Step 2: image 2 again with q = (0, 1): slot ← normalise(0.5·(1, 0) + 0.5·(0, 1)) = (1/√2, 1/√2);
        // image 3 is new.
        var slots2 = Tensors.Longs(bank.Enqueue(Rows([0, 1], [-1, 0]), tensor(new long[] { 7, 9 }), tensor(new long[] { 2, 3 }), 2));
        Assert.Equal(3, bank.Count);
        float h = (float)(1 / Math.Sqrt(2));
        Assert.Equal(h, SlotOf(bank, 2)[0], 6);
        Assert.Equal(h, SlotOf(bank, 2)[1], 6);
        Assert.Equal(new float[] { -1, 0 }, SlotOf(bank, 3));
        Assert.Equal(new float[] { 0.6f, 0.8f }, SlotOf(bank, 0)); // untouched

        // Step 3: image 0 with q = (0.8, −0.6): 0.5·(0.6, 0.8) + 0.5·(0.8, −0.6) = (0.7, 0.1), normalised (0.98995, 0.14142).
        bank.Enqueue(Rows([0.8f, -0.6f]), tensor(new long[] { 8 }), tensor(new long[] { 0 }), 3);
        float norm = (float)Math.Sqrt(0.7 * 0.7 + 0.1 * 0.1);
        Assert.Equal(0.7f / norm, SlotOf(bank, 0)[0], 6);
        Assert.Equal(0.1f / norm, SlotOf(bank, 0)[1], 6);

        // Unseen images 1 and 4 are not keys; labels and iterations follow the slots.
        Assert.Equal(3, bank.Keys.shape[0]);
        Assert.DoesNotContain(1L, Tensors.Longs(bank.Indices));
        Assert.DoesNotContain(4L, Tensors.Longs(bank.Indices));
        Assert.Equal(-1, bank.RowOf(1));
        var indices = Tensors.Longs(bank.Indices);
        var labels = Tensors.Longs(bank.Labels);
        var iterations = Tensors.Longs(bank.Iterations);
        Assert.Equal(8, labels[Array.IndexOf(indices, 0L)]);
        Assert.Equal(3, iterations[Array.IndexOf(indices, 0L)]);
        Assert.Equal(2, iterations[Array.IndexOf(indices, 2L)]);
        Assert.Equal(2, MemoryStatistics.MeasureOldestAge(bank, 4));

        // Own slots: the returned row of each batch row is where its image lives among the keys.
        Assert.Equal(bank.RowOf(2), slots1[0]);
        Assert.Equal(bank.RowOf(0), slots1[1]);
        Assert.Equal(new[] { bank.RowOf(2), bank.RowOf(3) }, slots2);
        Assert.Equal(2L, indices[slots2[0]]);
        Assert.Equal(3L, indices[slots2[1]]);
    }

    [Fact]
    public void ADuplicateImageInOneBatchIsAppliedInOrder()
    {
        using var scope = NewDisposeScope();
        using var bank = new MomentumMemory(3, 2, momentum: 0.5);
        var slots = Tensors.Longs(bank.Enqueue(Rows([1, 0], [0, 1], [0, -1]), tensor(new long[] { 1, 1, 2 }), tensor(new long[] { 1, 1, 2 }), 1));
        // First occurrence writes (1, 0); the second blends: normalise((0.5, 0.5)).
        float h = (float)(1 / Math.Sqrt(2));
        Assert.Equal(h, SlotOf(bank, 1)[0], 6);
        Assert.Equal(h, SlotOf(bank, 1)[1], 6);
        Assert.Equal(2, bank.Count);
        Assert.Equal(slots[0], slots[1]);
        Assert.NotEqual(slots[0], slots[2]);
    }

    [Fact]
    public void MatchesTheReferenceSequence()
    {
        using var scope = NewDisposeScope();
        var fixture = MemoryFixture.Load();
        var node = fixture.Root.GetProperty("momentum");
        using var bank = new MomentumMemory(fixture.DatasetSize, fixture.Dimension, node.GetProperty("momentum").GetDouble());
        int t = 0;
        foreach (var batch in fixture.Batches())
        {
            var expected = node.GetProperty("steps")[t++];
            var rows = Tensors.Longs(bank.Enqueue(batch.EmbeddingTensor(), batch.LabelTensor(), batch.IndexTensor(), batch.Iteration));
            Assert.Equal(expected.GetProperty("count").GetInt64(), bank.Count);
            var seen = expected.GetProperty("seen").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
            var slots = MemoryFixture.Matrix(expected.GetProperty("slots"));
            var written = MemoryFixture.Longs(expected.GetProperty("iterations"));
            var indices = Tensors.Longs(bank.Indices);
            var iterations = Tensors.Longs(bank.Iterations);
            Assert.Equal(seen.Select((s, i) => (s, i)).Where(p => p.s).Select(p => (long)p.i).Order(), indices.Order());
            for (int i = 0; i < seen.Length; i++)
            {
                if (!seen[i])
                    continue;
                int row = Array.IndexOf(indices, (long)i);
                var got = SlotOf(bank, i);
                for (int j = 0; j < got.Length; j++)
                    Assert.True(Math.Abs(slots[i, j] - got[j]) < 1e-6, $"step {t}, image {i}, dim {j}: expected {slots[i, j]}, got {got[j]}");
                Assert.Equal(written[i], iterations[row]);
            }
            for (int r = 0; r < rows.Length; r++)
                Assert.Equal(batch.Indices[r], indices[rows[r]]);
        }
    }

    [Fact]
    public void RejectsIndicesOutsideTheDataset()
    {
        using var scope = NewDisposeScope();
        using var bank = new MomentumMemory(4, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => bank.Enqueue(Rows([1, 0]), tensor(new long[] { 0 }), tensor(new long[] { 4 }), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => bank.Enqueue(Rows([1, 0]), tensor(new long[] { 0 }), tensor(new long[] { -1 }), 1));
        Assert.Equal(0, bank.Count);
    }

    [Fact]
    public void ResetForgetsEverySlot()
    {
        using var scope = NewDisposeScope();
        using var bank = new MomentumMemory(4, 2);
        bank.Enqueue(Rows([1, 0], [0, 1]), tensor(new long[] { 0, 1 }), tensor(new long[] { 0, 3 }), 1);
        bank.Reset();
        Assert.Equal(0, bank.Count);
        Assert.Equal(-1, bank.RowOf(3));
        bank.Enqueue(Rows([0, 1]), tensor(new long[] { 1 }), tensor(new long[] { 3 }), 2);
        Assert.Equal(new float[] { 0, 1 }, SlotOf(bank, 3)); // a first sighting again, not a blend
    }
}
