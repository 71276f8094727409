using System.Runtime.InteropServices;

namespace Xbm.Runtime;

/// <summary>
/// Native settings that must be in place before TorchSharp loads libtorch (docs/benchmarks.md, "Native settings"):
/// <c>OMP_WAIT_POLICY=PASSIVE</c>, so that idle OpenMP workers sleep instead of spinning on cores the training
/// thread needs, and optionally glibc heap retention (<c>mallopt</c> mmap and trim thresholds of 1 GiB), so that
/// large per-step tensors (the bare products of the benchmarks, the tensor form of the losses) are reused instead of
/// being unmapped and page-faulted at every step. The host row forms of the losses need neither: they reuse their
/// buffers themselves (<c>PairWorkspace</c>).
/// Linux only; a value of OMP_WAIT_POLICY set by the user is kept; <c>XBM_NATIVE_TUNING=0</c> turns it off.
/// The <c>xbm</c> tool and the benchmarks call <see cref="Apply"/> before anything loads libtorch.
/// </summary>
public static class NativeTuning
{
    private const int MallocTrimThreshold = -1, MallocMmapThreshold = -3;

    /// <summary>
    /// Applies the settings; returns a one-line description of what is in effect. <paramref name="heapRetention"/>
    /// keeps freed buffers up to 1 GiB in the heap: it speeds up memory-loss steps, but freed evaluation buffers
    /// then stay resident too, so a long run with periodic evaluations grows (docs/benchmarks.md, long run). The
    /// <c>xbm</c> tool therefore sets only the wait policy; the step benchmarks set both.
    /// </summary>
    public static string Apply(bool heapRetention = false)
    {
        if (!OperatingSystem.IsLinux())
            return "none (not Linux)";
        if (Environment.GetEnvironmentVariable("XBM_NATIVE_TUNING") == "0")
            return "off (XBM_NATIVE_TUNING=0)";
        // Environment.SetEnvironmentVariable does not reach the native environment on Unix; libgomp reads it
        // with getenv when TorchSharp first loads libtorch. A value already set by the user is kept.
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        if (!heapRetention)
            return $"OMP_WAIT_POLICY={WaitPolicy()}, glibc heap retention off";
        return $"OMP_WAIT_POLICY={WaitPolicy()}, glibc heap retention {(RetainHeap() ? "on" : "failed")}";
    }

    /// <summary>
    /// glibc heap retention: buffers up to 1 GiB are served from and returned to the heap instead of being mapped and
    /// unmapped (and page-faulted) at every use. Can be called at any time; affects later allocations. Returns
    /// whether glibc accepted it (false off Linux).
    /// </summary>
    public static bool RetainHeap() =>
        OperatingSystem.IsLinux() && mallopt(MallocMmapThreshold, 1 << 30) == 1 && mallopt(MallocTrimThreshold, 1 << 30) == 1;

    /// <summary>
    /// Returns the heap's free pages to the system (glibc's <c>malloc_trim</c>), wherever they lie in the heap. Called
    /// after a large passing use such as an evaluation: with heap retention, freed memory below a block still in use
    /// stays resident otherwise, and the process would keep the evaluation's peak for the rest of the run. No-op off
    /// Linux and with a C library other than glibc.
    /// </summary>
    public static void ReleaseFreeHeap()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            malloc_trim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // not glibc (musl has no malloc_trim): nothing to return
        }
    }

    /// <summary>OMP_WAIT_POLICY as the native environment (what libgomp reads) has it, or null.</summary>
    public static string? WaitPolicy() => OperatingSystem.IsLinux() ? Marshal.PtrToStringAnsi(getenv("OMP_WAIT_POLICY")) : null;

    [DllImport("libc")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    private static extern IntPtr getenv(string name);

    [DllImport("libc")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc")]
    private static extern int malloc_trim(nuint pad);
}
