using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>Computes the memory-only fields of <see cref="MemoryStats"/> (fill level, capacity, staleness) for any memory.</summary>
public static class MemoryStatistics
{
    /// <summary>
    /// Iterations since the oldest filled row was written, at <paramref name="iteration"/> (0 when empty).
    /// One host synchronisation (a minimum over <see cref="IEmbeddingMemory.Iterations"/>).
    /// </summary>
    public static long OldestAge(IEmbeddingMemory memory, long iteration)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (memory.Count == 0)
            return 0;
        using var scope = NewDisposeScope();
        long oldest = memory.Iterations.min().cpu().item<long>();
        return Math.Max(0, iteration - oldest);
    }

    /// <summary>
    /// The stats of one step: Count, Capacity and OldestAge from <paramref name="memory"/>, pair counts and
    /// similarities from <paramref name="pairs"/> (the memory loss's; zero counts and NaN means when null).
    /// </summary>
    public static MemoryStats Measure(IEmbeddingMemory memory, long iteration, PairStatistics? pairs = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        pairs ??= PairStatistics.Empty;
        return new MemoryStats(iteration, memory.Count, memory.Capacity, OldestAge(memory, iteration),
            pairs.Positives, pairs.Negatives, pairs.MeanPositiveSimilarity, pairs.MeanNegativeSimilarity);
    }
}
