using System.Runtime.InteropServices;

namespace Xbm.Bench;

/// <summary>
/// Process settings for the native runtime, applied before TorchSharp loads (set XBM_BENCH_NATIVE_TUNING=0 to
/// measure without them). On a 2-core machine shared with other work both matter a lot (see docs/benchmarks.md):
/// <list type="bullet">
/// <item>OMP_WAIT_POLICY=PASSIVE: idle OpenMP workers sleep instead of spinning between parallel regions, where
/// they would take the core the main thread needs for the next operation.</item>
/// <item>glibc keeps freed B×M buffers (tens of MB) in the heap instead of returning them to the system, so the
/// next allocation of the same size does not page-fault (M_MMAP_THRESHOLD and M_TRIM_THRESHOLD = 1 GiB).</item>
/// </list>
/// </summary>
internal static class NativeTuning
{
    private const int MallocTrimThreshold = -1, MallocMmapThreshold = -3;

    /// <summary>Applies the settings (Linux only) and describes what was applied.</summary>
    public static string Apply()
    {
        if (!OperatingSystem.IsLinux())
            return "none (not Linux)";
        if (Environment.GetEnvironmentVariable("XBM_BENCH_NATIVE_TUNING") == "0")
            return "off (XBM_BENCH_NATIVE_TUNING=0)";
        // Environment.SetEnvironmentVariable does not reach the native environment on Unix; libgomp reads it
        // with getenv when TorchSharp first loads libtorch. A value already set by the user is kept.
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        bool heap = mallopt(MallocMmapThreshold, 1 << 30) == 1 && mallopt(MallocTrimThreshold, 1 << 30) == 1;
        return $"OMP_WAIT_POLICY={Marshal.PtrToStringAnsi(getenv("OMP_WAIT_POLICY"))}, glibc heap retention {(heap ? "on" : "failed")}";
    }

    [DllImport("libc")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    private static extern IntPtr getenv(string name);

    [DllImport("libc")]
    private static extern int mallopt(int parameter, int value);
}
