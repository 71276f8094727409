using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Xbm.Runtime;

/// <summary>
/// Keeps libtorch's oneDNN (mkldnn) kernels away from processors that do not report their cache sizes.
/// oneDNN sizes its convolution blocks from the per-core cache sizes that it reads with CPUID: leaf 4 on Intel
/// processors, and leaf 0x8000001D on AMD processors (only when they report TOPOEXT). Some virtual machines report
/// neither; an AMD EPYC guest of this project's CI did. oneDNN then takes every cache for 1 byte and divides by the
/// empty blocks it derives from them: the process dies
/// with SIGFPE in <c>brg_blocking_t::est_eff_1x1</c> (a ResNet's 1×1 convolutions), and other convolutions
/// returned wrong gradients. On such a processor <see cref="Apply"/> first gives oneDNN the sizes that the older
/// CPUID leaves report (<see cref="OneDnnCacheSizes"/>, for the libtorch build it knows); where that is not possible
/// it switches oneDNN off for the process
/// (<c>at::globalContext().setUserEnabledMkldnn(false)</c>, what PyTorch's <c>torch.backends.mkldnn.enabled =
/// False</c> does), so convolutions take libtorch's own implementation. Either way it keeps freed buffers in the heap
/// (<see cref="NativeTuning.RetainHeap"/>): both libtorch's own convolutions and oneDNN's with the given sizes
/// allocate large buffers at every call.
/// <c>XBM_ONEDNN=on|off</c> overrides the check.
/// </summary>
public static class OneDnnGuard
{
    private static readonly Lazy<string> Applied = new(ApplyOnce);

    /// <summary>The environment variable that forces oneDNN on or off.</summary>
    public const string Variable = "XBM_ONEDNN";

    /// <summary>Whether the processor reports the data cache sizes that oneDNN reads (true off x86, where oneDNN does not use CPUID).</summary>
    public static bool CacheSizesReported()
    {
        if (!X86Base.IsSupported)
            return true;
        if (!ProcessorVendor.IsAmd())
            return HasDataCache(leaf: 4, maxLeaf: (uint)X86Base.CpuId(0, 0).Eax);
        uint maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        bool topologyExtensions = maxExtended >= 0x80000001 && (X86Base.CpuId(unchecked((int)0x80000001), 0).Ecx & (1 << 22)) != 0;
        return topologyExtensions && HasDataCache(leaf: 0x8000001D, maxLeaf: maxExtended);
    }

    /// <summary>
    /// Switches oneDNN off when the processor does not report its cache sizes (or when <c>XBM_ONEDNN=off</c>);
    /// returns what is in effect. Call before the first convolution; later calls return the first answer.
    /// </summary>
    public static string Apply() => Applied.Value;

    /// <summary>Whether libtorch will use oneDNN for the operations that support it.</summary>
    public static bool Enabled => UserEnabledMkldnn(GlobalContext());

    private static string ApplyOnce()
    {
        string? forced = Environment.GetEnvironmentVariable(Variable);
        if (forced is not (null or "" or "on" or "off"))
            throw new ArgumentException($"{Variable}: '{forced}' is not on or off");
        string why = "";
        if (forced != "off" && !CacheSizesReported())
        {
            TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU); // loads libtorch
            CacheSizesGiven = OneDnnCacheSizes.TryApply(out string given);
            // With the sizes given, oneDNN's convolutions allocate buffers above glibc's mmap threshold at every call:
            // without heap retention a glyph run spent 40 % of its time in page faults (784 against 1,938 img/s).
            string retained = CacheSizesGiven && NativeTuning.RetainHeap() ? ", glibc heap retention on" : "";
            if (CacheSizesGiven || forced == "on")
                return (forced == "on" ? "oneDNN on (XBM_ONEDNN=on)" : "oneDNN on") + (CacheSizesGiven ? ": " + given + retained : "");
            why = $" and could not be given to it ({given})";
        }
        else if (forced != "off")
            return forced == "on" ? "oneDNN on (XBM_ONEDNN=on)" : "oneDNN on";
        TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU); // loads libtorch
        SetUserEnabledMkldnn(GlobalContext(), false);
        // libtorch's own convolutions allocate their im2col buffers (often over 100 MB) at every call: without heap
        // retention glibc maps and unmaps them each time, which made training 4.5 × slower (docs/benchmarks.md).
        string heap = NativeTuning.RetainHeap() ? ", glibc heap retention on" : "";
        return (forced == "off" ? "oneDNN off (XBM_ONEDNN=off)" : "oneDNN off: the processor does not report its cache sizes (CPUID), which oneDNN divides by" + why) + heap;
    }

    /// <summary>
    /// Whether <see cref="Apply"/> gave oneDNN the cache sizes that the processor does not report
    /// (<see cref="OneDnnCacheSizes"/>), so that oneDNN stays on.
    /// </summary>
    public static bool CacheSizesGiven { get; private set; }

    private static bool HasDataCache(uint leaf, uint maxLeaf)
    {
        if (maxLeaf < leaf)
            return false;
        for (int sub = 0; sub < 8; sub++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(unchecked((int)leaf), sub);
            int type = eax & 0x1F; // 0: no more caches, 1: data, 3: unified
            if (type == 0)
                return false;
            long ways = ((uint)ebx >> 22) + 1, partitions = (((uint)ebx >> 12) & 0x3FF) + 1, line = ((uint)ebx & 0xFFF) + 1, sets = (uint)ecx + 1;
            long size = ways * partitions * line * sets;
            if ((type == 1 || type == 3) && size > 0)
                return true;
        }
        return false;
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);
}
