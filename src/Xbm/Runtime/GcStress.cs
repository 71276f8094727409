namespace Xbm.Runtime;

/// <summary>
/// A diagnostic for native-lifetime bugs: a background thread that forces a full garbage collection and runs the
/// pending finalizers every few milliseconds. A TorchSharp object that is unreachable while native code still uses
/// it (a temporary Scalar, see <see cref="Scalars"/>) is then freed within milliseconds instead of once in a long
/// run, so such a bug aborts a short run almost surely. Enabled in the <c>xbm</c> tool by the environment variable
/// <c>XBM_GC_STRESS_MS</c> (the interval); the tests use it to show that training on image folders with prefetch
/// survives. It slows training down; never use it for real runs.
/// </summary>
public static class GcStress
{
    /// <summary>The environment variable that holds the interval in milliseconds.</summary>
    public const string Variable = "XBM_GC_STRESS_MS";

    private static Thread? _thread;

    /// <summary>Starts the stress thread when <see cref="Variable"/> holds a positive interval; returns whether it did.</summary>
    public static bool StartFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value))
            return false;
        if (!int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int interval) || interval < 0)
            throw new ArgumentException($"{Variable}: '{value}' is not a whole number of milliseconds (0 or more)");
        Start(interval);
        return true;
    }

    /// <summary>Starts the stress thread (once per process): a full collection and the finalizers every <paramref name="intervalMs"/> ms.</summary>
    public static void Start(int intervalMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(intervalMs);
        if (Interlocked.CompareExchange(ref _thread, new Thread(() => Loop(intervalMs)) { IsBackground = true, Name = "xbm-gc-stress" }, null) is null)
            _thread!.Start();
    }

    private static void Loop(int intervalMs)
    {
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(intervalMs);
        }
    }
}
