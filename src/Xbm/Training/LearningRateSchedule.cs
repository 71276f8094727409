namespace Xbm.Training;

/// <summary>The learning rate at each iteration: a pure function of the iteration, so resuming is exact.</summary>
public sealed class LearningRateSchedule
{
    private readonly double _base;
    private readonly ScheduleOptions _options;
    private readonly long _iterations;

    /// <summary>Creates the schedule for a run of <paramref name="iterations"/> iterations.</summary>
    public LearningRateSchedule(double baseRate, ScheduleOptions options, long iterations)
    {
        _base = baseRate;
        _options = options;
        _iterations = iterations;
    }

    /// <summary>The rate at iteration <paramref name="t"/> (1-based).</summary>
    public double At(long t)
    {
        long warmup = _options.WarmupIterations;
        if (warmup > 0 && t <= warmup)
            return _base * t / warmup;
        switch (_options.Kind)
        {
            case "step":
                int passed = (_options.StepAt ?? Array.Empty<long>()).Count(s => t > s);
                return _base * Math.Pow(_options.Gamma, passed);
            case "cosine":
                double span = Math.Max(1, _iterations - warmup);
                double progress = Math.Clamp((t - warmup) / span, 0, 1);
                double floor = _base * _options.MinimumFactor;
                return floor + (_base - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
            default:
                return _base;
        }
    }
}
