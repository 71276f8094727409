using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xbm.Runtime;

/// <summary>
/// Lets libtorch's MKL choose its matrix-product kernels by the processor's instruction set on AMD processors
/// (docs/benchmarks.md, "MKL's code path on AMD processors"). MKL runs its generic kernels on any processor that
/// is not Intel's; on this project's AMD EPYC (Zen 5, AVX-512) that halved the speed of every product, the memory
/// loss's and the evaluation's included, and of the convolutions that libtorch computes as products. The shim
/// <c>libxbm_mkl_dispatch.so</c> (native/xbm_mkl_dispatch.c, compiled into each output folder by the build)
/// answers MKL's "Intel processor?" query with yes; loaded into the global symbol scope before libtorch's first
/// product, it takes the place of MKL's own answer. Linux x64 on AMD processors only; <c>XBM_MKL_DISPATCH=off</c>
/// turns it off. Applied when this library is loaded, before any of its code can reach libtorch.
/// </summary>
public static class MklDispatch
{
    /// <summary>The environment variable that turns the shim off (<c>off</c>).</summary>
    public const string Variable = "XBM_MKL_DISPATCH";

    /// <summary>The shim's file name, looked up in the application's folder.</summary>
    public const string FileName = "libxbm_mkl_dispatch.so";

    private const int RtldNow = 2, RtldGlobal = 0x100;
    private static readonly Lazy<(string Description, IntPtr Handle)> Applied = new(ApplyOnce);

    /// <summary>Loads the shim when it applies (idempotent); returns what is in effect.</summary>
    public static string Apply() => Applied.Value.Description;

    /// <summary>Whether the shim is loaded in this process.</summary>
    public static bool Loaded => Applied.Value.Handle != IntPtr.Zero;

    /// <summary>
    /// How many times MKL has asked the shim whether the processor is Intel's (0 until its first product, or when
    /// the shim is not loaded): a positive count shows that libtorch's MKL reached the shim.
    /// </summary>
    public static int Calls
    {
        get
        {
            var handle = Applied.Value.Handle;
            if (handle == IntPtr.Zero || !NativeLibrary.TryGetExport(handle, "xbm_mkl_dispatch_calls", out var export))
                return 0;
            unsafe
            {
                return ((delegate* unmanaged<int>)export)();
            }
        }
    }

#pragma warning disable CA2255 // A module initializer in a library: the shim must be loaded before libtorch's first product.
    [ModuleInitializer]
    internal static void LoadWithThisLibrary() => Apply();
#pragma warning restore CA2255

    private static (string, IntPtr) ApplyOnce()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return ("MKL dispatch: not Linux x64", IntPtr.Zero);
        if (Environment.GetEnvironmentVariable(Variable) == "off")
            return ($"MKL dispatch: MKL's own ({Variable}=off)", IntPtr.Zero);
        if (!ProcessorVendor.IsAmd())
            return ("MKL dispatch: MKL's own (not an AMD processor)", IntPtr.Zero);
        string path = Path.Combine(AppContext.BaseDirectory, FileName);
        if (!File.Exists(path))
            return ($"MKL dispatch: MKL's generic kernels ({FileName} was not built: no C compiler at build time)", IntPtr.Zero);
        IntPtr handle = dlopen(path, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
            return ($"MKL dispatch: MKL's generic kernels ({path} did not load: {Marshal.PtrToStringAnsi(dlerror())})", IntPtr.Zero);
        return ("MKL dispatch: by instruction set on this AMD processor", handle);
    }

    [DllImport("libc")]
    private static extern IntPtr dlopen(string file, int mode);

    [DllImport("libc")]
    private static extern IntPtr dlerror();
}
