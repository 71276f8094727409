using TorchSharp;
using Xbm.Memory;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

/// <summary>Behaviour every memory kind shares: checkpoint round trips and fixed allocation.</summary>
public class MemoryCheckpointTests
{
    private const long Dimension = 6;
    private const long DatasetSize = 40;

    public static TheoryData<string, string> Kinds => new()
    {
        { "fifo", "" },
        { "momentum", "" },
        { "xbn", "" },
        { "xbn", "in_place" },
        { "adaptive_xbn", "" },
        { "ema", "" },
    };

    private static IEmbeddingMemory Create(string kind, string variant)
    {
        var values = new List<(string, object?)> { ("kind", kind) };
        if (kind != "momentum")
            values.Add(("size", "17")); // not a multiple of the batch sizes below: the ring wraps mid-batch
        if (kind == "adaptive_xbn")
            values.AddRange(new (string, object?)[] { ("refresh_interval", "3"), ("r", "0.5"), ("q", "0.3") });
        if (variant == "in_place")
            values.Add(("renormalise_in_place", "true"));
        return MemoryFactory.Create(MemoryFactoryTests.Section(values.ToArray()), Dimension, DatasetSize, CPU);
    }

    /// <summary>Batch <paramref name="step"/>: 3 to 7 seeded unit rows, dataset indices drawn with repeats.</summary>
    private static (Tensor Embeddings, Tensor Labels, Tensor Indices) Batch(int step)
    {
        long b = 3 + step % 5;
        var g = new Generator((ulong)(1000 + step));
        using var scale = (1 + 0.1 * step).ToScalar();
        using var shift = (0.05 * step).ToScalar();
        using var four = 4.ToScalar();
        var embeddings = nn.functional.normalize(randn(b, Dimension, generator: g).mul(scale).add(shift, Scalars.One), p: 2, dim: 1);
        var indices = randint(0, DatasetSize, new[] { b }, generator: g, dtype: int64);
        return (embeddings, indices.remainder(four), indices);
    }

    private static void AssertSameContents(IEmbeddingMemory a, IEmbeddingMemory b)
    {
        Assert.Equal(a.Count, b.Count);
        Assert.True(Tensors.Same(a.Keys, b.Keys), "keys differ");
        Assert.Equal(Tensors.Longs(a.Labels), Tensors.Longs(b.Labels));
        Assert.Equal(Tensors.Longs(a.Indices), Tensors.Longs(b.Indices));
        Assert.Equal(Tensors.Longs(a.Iterations), Tensors.Longs(b.Iterations));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ACheckpointRoundTripGivesIdenticalSubsequentBehaviour(string kind, string variant)
    {
        using var scope = NewDisposeScope();
        using var original = Create(kind, variant);
        for (int step = 0; step < 9; step++)
        {
            var (e, l, i) = Batch(step);
            original.Enqueue(e, l, i, step + 1);
        }

        using var state = original.GetState();
        Assert.Equal(kind, state.Kind);
        Assert.All(state.Tensors.Values, t => Assert.Equal(DeviceType.CPU, t.device_type));
        using var restored = Create(kind, variant);
        restored.LoadState(state);
        AssertSameContents(original, restored);
        if (original is CrossBatchNorm xa && restored is CrossBatchNorm xb)
        {
            Assert.Equal(xa.WritePointer, xb.WritePointer);
            Assert.Equal((xa.Filter.P, xa.Filter.Gain, xa.Filter.Updates), (xb.Filter.P, xb.Filter.Gain, xb.Filter.Updates));
        }

        for (int step = 9; step < 20; step++)
        {
            var (e, l, i) = Batch(step);
            var slotsA = Tensors.Longs(original.Enqueue(e, l, i, step + 1));
            var slotsB = Tensors.Longs(restored.Enqueue(e, l, i, step + 1));
            Assert.Equal(slotsA, slotsB);
            AssertSameContents(original, restored);
        }

        // The state is a copy: later writes to the memory do not change it.
        using var fresh = Create(kind, variant);
        fresh.LoadState(state);
        Assert.NotEqual(original.Iterations.max().item<long>(), fresh.Iterations.max().item<long>());
    }

    [Fact]
    public void TheKalmanStateIsPartOfTheCheckpoint()
    {
        using var scope = NewDisposeScope();
        using var original = (CrossBatchNorm)Create("adaptive_xbn", "");
        for (int step = 0; step < 5; step++)
        {
            var (e, l, i) = Batch(step);
            original.Enqueue(e, l, i, step + 1);
        }
        using var state = original.GetState();
        foreach (string scalar in new[] { "filter_p", "filter_gain", "filter_updates", "pointer", "count" })
            Assert.True(state.Scalars.ContainsKey(scalar), scalar);
        Assert.True(Tensors.Same(state.Tensor("filter_mean"), original.Filter.Mean!));
        Assert.True(Tensors.Same(state.Tensor("filter_std"), original.Filter.Std!));

        // Without the filter state the continuation differs: the checkpoint is what makes it identical.
        using var cold = (CrossBatchNorm)Create("adaptive_xbn", "");
        var contentsOnly = new MemoryState { Kind = "adaptive_xbn" };
        foreach (var (name, t) in state.Tensors.Where(p => !p.Key.StartsWith("filter_")))
            contentsOnly.Tensors[name] = t;
        foreach (var (name, v) in state.Scalars)
            contentsOnly.Scalars[name] = name.StartsWith("filter_") ? (name == "filter_p" ? 1 : 0) : v;
        cold.LoadState(contentsOnly);
        var (e5, l5, i5) = Batch(5);
        original.Enqueue(e5, l5, i5, 6);
        cold.Enqueue(e5, l5, i5, 6);
        Assert.False(Tensors.Same(original.Keys, cold.Keys));
    }

    [Fact]
    public void LoadingTheWrongKindFails()
    {
        using var scope = NewDisposeScope();
        using var xbn = Create("xbn", "");
        using var state = xbn.GetState();
        using var adaptive = Create("adaptive_xbn", "");
        Assert.Throws<InvalidDataException>(() => adaptive.LoadState(state));
        using var fifo = Create("fifo", "");
        Assert.Throws<InvalidDataException>(() => fifo.LoadState(state));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MemoryStaysAllocatedOnceAcrossAThousandEnqueues(string kind, string variant)
    {
        using var memory = Create(kind, variant);
        var batches = Enumerable.Range(0, 10).Select(Batch).ToList(); // tensors outside any scope, reused
        long KeysAddress()
        {
            using var s = NewDisposeScope();
            return (long)memory.Keys.storage<float>().data_ptr();
        }

        using (NewDisposeScope())
            memory.Enqueue(batches[0].Embeddings, batches[0].Labels, batches[0].Indices, 1);
        long address = KeysAddress();
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int step = 1; step <= 1000; step++)
        {
            using var s = NewDisposeScope();
            var (e, l, i) = batches[step % batches.Count];
            memory.Enqueue(e, l, i, step + 1);
            _ = memory.Keys; // reading the keys allocates nothing lasting either
        }
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Equal(address, KeysAddress());
        foreach (var (e, l, i) in batches)
        {
            e.Dispose();
            l.Dispose();
            i.Dispose();
        }
    }
}
