using System.Runtime.Intrinsics.X86;

namespace Xbm.Runtime;

/// <summary>The x86 processor's vendor, read with CPUID leaf 0 (native libraries choose their code paths by it).</summary>
public static class ProcessorVendor
{
    /// <summary>True for an x86 processor whose vendor string is "AuthenticAMD".</summary>
    public static bool IsAmd()
    {
        if (!X86Base.IsSupported)
            return false;
        var (_, b, c, d) = X86Base.CpuId(0, 0);
        return b == 0x68747541 && d == 0x69746E65 && c == 0x444D4163;
    }
}
