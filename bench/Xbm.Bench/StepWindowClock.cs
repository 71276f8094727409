using System.Diagnostics;
using Xbm.Training;

namespace Xbm.Bench;

/// <summary>
/// A training observer that times the steps after iteration <c>warmUp</c> up to the end of iteration <c>last</c>:
/// warm-up steps (optimizer state, prefetch queue filling) and the final checkpoint are left out.
/// </summary>
internal sealed class StepWindowClock(long warmUp, long last) : ITrainingObserver
{
    private readonly Stopwatch _clock = new();

    /// <summary>The time of iterations warmUp + 1 to last.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public void OnStep(StepReport report)
    {
        if (report.Iteration == warmUp)
            _clock.Start();
        if (report.Iteration == last)
            _clock.Stop();
    }

    public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) { }

    public void OnMessage(string message) { }
}
