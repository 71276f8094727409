using Xbm.Data.Images;
using static TorchSharp.torch;

namespace Xbm.Data;

/// <summary>
/// Produces the training batches of iterations first..last in order: the sampler's positions, the images loaded
/// with augmentation and the iteration's seed, and the sampler's state after each draw. With
/// <c>prefetch</c> &gt; 0, batches are drawn and loaded on a background thread up to that many ahead of the
/// training step (see <see cref="Prefetcher{T}"/>), so decoding overlaps computation; with 0 they are loaded on the
/// caller's thread. Either way the batches are identical: each depends only on the sampler's state and the seed.
/// The sampler belongs to the loader while it runs: read its state from <see cref="LoadedBatch.SamplerState"/>.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private readonly IImageSet _images;
    private readonly IBatchSampler _sampler;
    private readonly Func<long, ulong> _seedOf;
    private readonly Prefetcher<LoadedBatch>? _prefetcher;
    private readonly long _last;
    private readonly int _slices;
    private readonly int _slice;
    private long _next;

    /// <summary>Starts loading at iteration <paramref name="first"/>.</summary>
    /// <param name="images">The training images.</param>
    /// <param name="sampler">The batch sampler, already positioned for iteration <paramref name="first"/>.</param>
    /// <param name="seedOf">The augmentation seed of an iteration.</param>
    /// <param name="first">The first iteration to load.</param>
    /// <param name="last">The last iteration to load.</param>
    /// <param name="prefetch">Batches loaded ahead on a background thread (0 = load on the caller's thread).</param>
    /// <param name="slices">
    /// The number of equal slices a batch is split into (data-parallel ranks, docs/design.md §10); only slice
    /// <paramref name="slice"/> is loaded. A batch that does not split evenly is loaded whole.
    /// </param>
    /// <param name="slice">The slice this loader loads, 0 to <paramref name="slices"/> − 1.</param>
    public BatchLoader(IImageSet images, IBatchSampler sampler, Func<long, ulong> seedOf, long first, long last, int prefetch, int slices = 1, int slice = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 1);
        if (slice < 0 || slice >= slices)
            throw new ArgumentOutOfRangeException(nameof(slice), slice, $"a slice of 0 to {slices - 1}");
        (_slices, _slice) = (slices, slice);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(seedOf);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        (_images, _sampler, _seedOf, _next, _last) = (images, sampler, seedOf, first, last);
        long count = Math.Max(0, last - first + 1);
        if (prefetch > 0 && count > 0)
            _prefetcher = new Prefetcher<LoadedBatch>((index, _) => Load(index), count, prefetch, first);
    }

    /// <summary>The batch of the next iteration (waits for it when prefetching); a loading error surfaces here.</summary>
    public LoadedBatch Next()
    {
        if (_next > _last)
            throw new InvalidOperationException($"no batch after iteration {_last}");
        var batch = _prefetcher is null ? Load(_next) : _prefetcher.Next();
        _next++;
        return batch;
    }

    /// <summary>Stops the background loading.</summary>
    public void Dispose() => _prefetcher?.Dispose();

    private LoadedBatch Load(long iteration)
    {
        var positions = _sampler.Next();
        string state = _sampler.SaveState();
        // A scope of this thread: the image tensor is made and freed here, only managed data leaves.
        using var scope = NewDisposeScope();
        int share = positions.Count % _slices == 0 ? positions.Count / _slices : positions.Count;
        int first = share == positions.Count ? 0 : _slice * share;
        var images = _images.LoadSlice(positions, first, share, augment: true, _seedOf(iteration)).contiguous();
        return new LoadedBatch(iteration, positions, images.data<float>().ToArray(), images.shape, state, first);
    }
}
