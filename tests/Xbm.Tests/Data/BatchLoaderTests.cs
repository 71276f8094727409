using Xbm.Data;
using Xbm.Tests.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Data;

/// <summary>The training batch loader: prefetched batches equal synchronous ones, states resume, errors surface in order.</summary>
public sealed class BatchLoaderTests
{
    private static readonly SyntheticImageSet Images = new(6, 10);

    private static ulong SeedOf(long t) => (ulong)(1000 + t);

    private static List<LoadedBatch> Drain(int prefetch, long first = 1, long last = 12, string? state = null)
    {
        var sampler = new TestSampler(Images.Labels, 3, 4, 5);
        if (state is not null)
            sampler.LoadState(state);
        using var loader = new BatchLoader(Images, sampler, SeedOf, first, last, prefetch);
        var batches = new List<LoadedBatch>();
        for (long t = first; t <= last; t++)
            batches.Add(loader.Next());
        Assert.Throws<InvalidOperationException>(() => loader.Next());
        return batches;
    }

    /// <summary>Two ranks' loaders, each loading its half of every batch with prefetch, together give the whole batches.</summary>
    [Fact]
    public void SlicedLoadersTogetherGiveTheWholeBatches()
    {
        var whole = Drain(0);
        var halves = Enumerable.Range(0, 2).Select(rank =>
        {
            using var loader = new BatchLoader(Images, new TestSampler(Images.Labels, 3, 4, 5), SeedOf, 1, 12, prefetch: 2, slices: 2, slice: rank);
            return Enumerable.Range(1, 12).Select(_ => loader.Next()).ToList();
        }).ToArray();
        for (int i = 0; i < whole.Count; i++)
        {
            int half = whole[i].Count / 2;
            Assert.Equal(whole[i].Positions, halves[1][i].Positions);
            Assert.Equal((0, half), (halves[0][i].First, halves[0][i].Count));
            Assert.Equal((half, half), (halves[1][i].First, halves[1][i].Count));
            Assert.Equal(whole[i].Pixels, halves[0][i].Pixels.Concat(halves[1][i].Pixels));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(Images, new TestSampler(Images.Labels, 3, 4, 5), SeedOf, 1, 2, 0, slices: 2, slice: 2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void PrefetchedBatchesEqualSynchronousOnes(int prefetch)
    {
        var synchronous = Drain(0);
        var prefetched = Drain(prefetch);
        Assert.Equal(synchronous.Select(b => b.Iteration), Enumerable.Range(1, 12).Select(i => (long)i));
        for (int i = 0; i < synchronous.Count; i++)
        {
            Assert.Equal(synchronous[i].Iteration, prefetched[i].Iteration);
            Assert.Equal(synchronous[i].Positions, prefetched[i].Positions);
            Assert.Equal(synchronous[i].Pixels, prefetched[i].Pixels);
            Assert.Equal(synchronous[i].SamplerState, prefetched[i].SamplerState);
        }
    }

    [Fact]
    public void BatchesMatchTheImageSetAndTheSamplerDrawnDirectly()
    {
        var sampler = new TestSampler(Images.Labels, 3, 4, 5);
        foreach (var batch in Drain(2, last: 4))
        {
            var positions = sampler.Next();
            Assert.Equal(positions, batch.Positions);
            Assert.Equal(sampler.SaveState(), batch.SamplerState);
            using var scope = NewDisposeScope();
            var expected = Images.Load(positions, augment: true, SeedOf(batch.Iteration));
            Assert.Equal(expected.shape, batch.Shape);
            Assert.Equal(expected.data<float>().ToArray(), batch.Pixels);
            Assert.True(batch.Images(CPU).eq(expected).all().item<bool>());
        }
    }

    [Fact]
    public void TheStateOfABatchResumesWithTheNextOne()
    {
        var full = Drain(2);
        var resumed = Drain(2, first: 6, last: 12, state: full[4].SamplerState); // state after iteration 5
        for (int i = 0; i < resumed.Count; i++)
        {
            Assert.Equal(full[5 + i].Positions, resumed[i].Positions);
            Assert.Equal(full[5 + i].Pixels, resumed[i].Pixels);
        }
    }

    private sealed class FailingSet(IImageSet inner, int failAtCall) : IImageSet
    {
        private int _calls;
        public int Count => inner.Count;
        public int Channels => inner.Channels;
        public IReadOnlyList<long> Labels => inner.Labels;

        public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed) =>
            Interlocked.Increment(ref _calls) == failAtCall ? throw new IOException("image 7.jpg: unreadable") : inner.Load(positions, augment, seed);
    }

    [Fact]
    public void ALoadingErrorSurfacesAtItsIterationAfterTheBatchesBeforeIt()
    {
        using var loader = new BatchLoader(new FailingSet(Images, 3), new TestSampler(Images.Labels, 3, 4, 5), SeedOf, 1, 10, prefetch: 4);
        Assert.Equal(1, loader.Next().Iteration);
        Assert.Equal(2, loader.Next().Iteration);
        var error = Assert.Throws<IOException>(() => loader.Next());
        Assert.Contains("7.jpg", error.Message);
    }
}
