namespace Xbm.Training;

/// <summary>The outcome of a training run.</summary>
/// <param name="Iterations">Iterations completed.</param>
/// <param name="FinalMetrics">The last evaluation's metrics by split, e.g. ["test"]["Recall@1"].</param>
/// <param name="TrainingSeconds">Wall time spent in training steps (evaluation and checkpoints excluded).</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="SkippedSteps">Steps skipped for non-finite values.</param>
/// <param name="ResumedFrom">The iteration the run resumed from (0 = fresh).</param>
public sealed record TrainingResult(long Iterations, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> FinalMetrics,
    double TrainingSeconds, double ImagesPerSecond, long SkippedSteps, long ResumedFrom)
{
    /// <summary>True when the run had already finished and these are its recorded metrics (nothing was trained or evaluated).</summary>
    public bool Reused { get; init; }
}
