using System.Diagnostics;

namespace Xbm.Runtime;

/// <summary>
/// Passes (done, total) progress on at most once per interval, plus the final count when anything was passed
/// on before, so a long phase prints a line every few seconds and a short one prints nothing. Thread-safe.
/// </summary>
public sealed class ThrottledProgress
{
    private readonly TimeSpan _interval;
    private readonly Action<long, long> _report;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private TimeSpan _last;
    private bool _reported;

    /// <summary>Creates the throttle: <paramref name="report"/> receives (done, total) at most every <paramref name="interval"/>.</summary>
    public ThrottledProgress(TimeSpan interval, Action<long, long> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _interval = interval;
        _report = report;
    }

    /// <summary>Notes progress; forwards it when the interval has passed since the start or the last line, or at the end of a reported phase.</summary>
    public void Report(long done, long total)
    {
        lock (_gate)
        {
            var now = _clock.Elapsed;
            bool end = done >= total;
            if (end ? !_reported : now - _last < _interval)
                return;
            _last = now;
            _reported = !end;
            _report(done, total);
        }
    }
}
