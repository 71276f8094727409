namespace Xbm.Training;

/// <summary>
/// Training stopped on request (Ctrl-C, SIGTERM) after writing a checkpoint of the last finished step; running
/// the same command again resumes from it.
/// </summary>
public sealed class TrainingInterruptedException : OperationCanceledException
{
    /// <summary>Creates the exception for a stop after <paramref name="iteration"/> with <paramref name="checkpoint"/> on disk (null: none yet).</summary>
    public TrainingInterruptedException(long iteration, string? checkpoint)
        : base(checkpoint is null
            ? $"interrupted at iteration {iteration}, before any checkpoint was written; nothing trained is kept"
            : $"interrupted at iteration {iteration}; checkpoint saved in {checkpoint}; run the same command again to resume")
    {
        Iteration = iteration;
        Checkpoint = checkpoint;
    }

    /// <summary>The last finished iteration.</summary>
    public long Iteration { get; }

    /// <summary>The checkpoint folder holding that iteration's state, or null when none exists.</summary>
    public string? Checkpoint { get; }
}
