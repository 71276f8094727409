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
    PairStatistics BatchPairs, MemoryStats? Memory, double ImagesPerSecond);

/// <summary>Receives progress from the trainer (the CLI draws a progress bar from it).</summary>
public interface ITrainingObserver
{
    /// <summary>Called after every step with its report.</summary>
    void OnStep(StepReport report);

    /// <summary>Called after each evaluation.</summary>
    void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics);

    /// <summary>A message worth showing (resume, memory start, skipped step).</summary>
    void OnMessage(string message);
}
