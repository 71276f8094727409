using Xbm.Cli;
using Xbm.Runtime;

// Before anything loads libtorch: OpenMP workers sleep when idle, large buffers stay in the heap (docs/benchmarks.md).
NativeTuning.Apply();
// Diagnostics only (XBM_GC_STRESS_MS): collect and finalize continuously to expose native-lifetime bugs.
try
{
    GcStress.StartFromEnvironment();
    if (!OneDnnGuard.CacheSizesReported() || Environment.GetEnvironmentVariable(OneDnnGuard.Variable) is { Length: > 0 })
        Console.Error.WriteLine($"note: {OneDnnGuard.Apply()}");
}
catch (ArgumentException e) // a bad value of XBM_GC_STRESS_MS or XBM_ONEDNN
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
return CliApp.Run(args);
