using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// What the memory did in one training step: fill level, staleness, and the pairs it contributed.
/// Logged to TensorBoard and the run's metrics file; <see cref="Measure"/> computes it for any memory.
/// </summary>
/// <param name="Iteration">The training iteration (1-based).</param>
/// <param name="Count">Filled rows.</param>
/// <param name="Capacity">Rows the memory can hold.</param>
/// <param name="OldestAge">Iterations since the oldest filled row was written (0 when empty).</param>
/// <param name="Positives">Positive pairs from memory with a non-zero loss.</param>
/// <param name="Negatives">Negative pairs from memory with a non-zero loss.</param>
/// <param name="MeanPositiveSimilarity">Mean similarity of valid positive pairs with memory keys.</param>
/// <param name="MeanNegativeSimilarity">Mean similarity of valid negative pairs with memory keys.</param>
public sealed record MemoryStatistics(long Iteration, long Count, long Capacity, long OldestAge,
    long Positives, long Negatives, double MeanPositiveSimilarity, double MeanNegativeSimilarity)
{
    /// <summary>Filled share of the memory, 0 to 1.</summary>
    public double Fill => Capacity == 0 ? 0 : (double)Count / Capacity;

    /// <summary>
    /// Iterations since the oldest filled row was written, at <paramref name="iteration"/> (0 when empty).
    /// One host synchronisation (a minimum over <see cref="IEmbeddingMemory.Iterations"/>).
    /// </summary>
    public static long MeasureOldestAge(IEmbeddingMemory memory, long iteration)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (memory.Count == 0)
            return 0;
        using var scope = NewDisposeScope();
        long oldest = memory.Iterations.min().cpu().item<long>();
        return Math.Max(0, iteration - oldest);
    }

    /// <summary>
    /// The statistics of one step: Count, Capacity and OldestAge from <paramref name="memory"/>, pair counts and
    /// similarities from <paramref name="pairs"/> (the memory loss's; zero counts and NaN means when null).
    /// </summary>
    public static MemoryStatistics Measure(IEmbeddingMemory memory, long iteration, PairStatistics? pairs = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        pairs ??= PairStatistics.Empty;
        return new MemoryStatistics(iteration, memory.Count, memory.Capacity, MeasureOldestAge(memory, iteration),
            pairs.Positives, pairs.Negatives, pairs.MeanPositiveSimilarity, pairs.MeanNegativeSimilarity);
    }
}
