namespace Xbm.Memory;

/// <summary>
/// What the memory did in one training step: fill level, staleness, and the pairs it contributed.
/// Logged to TensorBoard and the run's metrics file.
/// </summary>
/// <param name="Iteration">The training iteration (1-based).</param>
/// <param name="Count">Filled rows.</param>
/// <param name="Capacity">Rows the memory can hold.</param>
/// <param name="OldestAge">Iterations since the oldest filled row was written (0 when empty).</param>
/// <param name="Positives">Positive pairs from memory with a non-zero loss.</param>
/// <param name="Negatives">Negative pairs from memory with a non-zero loss.</param>
/// <param name="MeanPositiveSimilarity">Mean similarity of valid positive pairs with memory keys.</param>
/// <param name="MeanNegativeSimilarity">Mean similarity of valid negative pairs with memory keys.</param>
public sealed record MemoryStats(long Iteration, long Count, long Capacity, long OldestAge,
    long Positives, long Negatives, double MeanPositiveSimilarity, double MeanNegativeSimilarity)
{
    /// <summary>Filled share of the memory, 0 to 1.</summary>
    public double Fill => Capacity == 0 ? 0 : (double)Count / Capacity;
}
