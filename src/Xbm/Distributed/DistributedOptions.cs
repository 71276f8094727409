namespace Xbm.Distributed;

/// <summary>How a run is spread over processes (docs/design.md §10).</summary>
/// <param name="Collective">The ranks' transport; <see cref="SingleProcess"/> trains in one process as before.</param>
/// <param name="TraceFolder">
/// Diagnostics, or null: every rank writes its per-step loss, memory hash, gradients and parameters there
/// (<see cref="StepTrace"/>); never the run folder.
/// </param>
public sealed record DistributedOptions(ICollective Collective, string? TraceFolder = null)
{
    /// <summary>One process, no trace.</summary>
    public static DistributedOptions None { get; } = new(SingleProcess.Instance);

    /// <summary>True for the rank that writes the run folder (logs, checkpoints, evaluations): rank 0.</summary>
    public bool WritesRun => Collective.Rank == 0;
}
