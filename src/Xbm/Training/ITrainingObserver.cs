namespace Xbm.Training;

/// <summary>Receives progress from the trainer (the CLI draws a progress bar from it).</summary>
public interface ITrainingObserver
{
    /// <summary>Called after every step with its report.</summary>
    void OnStep(StepReport report);

    /// <summary>Called after each evaluation.</summary>
    void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics);

    /// <summary>A message worth showing (resume, memory start, skipped step).</summary>
    void OnMessage(string message);

    /// <summary>Progress of a long phase without steps (embedding for an evaluation): (what, done, total). Default: ignored.</summary>
    void OnProgress(string phase, long done, long total)
    {
    }
}
