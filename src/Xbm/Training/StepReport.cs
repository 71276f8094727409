using Xbm.Losses;
using Xbm.Memory;

namespace Xbm.Training;

/// <summary>What happened in one logged training step.</summary>
/// <param name="Iteration">The iteration (1-based).</param>
/// <param name="LearningRate">The rate used.</param>
/// <param name="Loss">Total loss.</param>
/// <param name="BatchLoss">Batch loss.</param>
/// <param name="MemoryLoss">Memory loss (NaN before the memory starts).</param>
/// <param name="BatchPairs">Pairs that contributed to the batch loss.</param>
/// <param name="Memory">Memory statistics, or null before the memory starts or without memory.</param>
/// <param name="ImagesPerSecond">Training throughput since the run (or resume) started.</param>
public sealed record StepReport(long Iteration, double LearningRate, double Loss, double BatchLoss, double MemoryLoss,
    PairStatistics BatchPairs, MemoryStatistics? Memory, double ImagesPerSecond)
{
    /// <summary>
    /// The batch loss per contributing pair (the sum over pairs divided by <see cref="BatchPairs"/>' pair count):
    /// unlike a summed loss it does not grow with the number of pairs. NaN when no pair contributed.
    /// </summary>
    public double BatchLossPerPair { get; init; } = double.NaN;

    /// <summary>The memory loss per contributing memory pair; NaN before the memory starts or when no pair contributed.</summary>
    public double MemoryLossPerPair { get; init; } = double.NaN;

    /// <summary>The classification task's cross-entropy (unweighted); NaN for retrieval training.</summary>
    public double CrossEntropy { get; init; } = double.NaN;
}
