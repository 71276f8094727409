using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Xbm.Runtime;

/// <summary>
/// Asks Linux to back a large CPU tensor with transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>), where the
/// system leaves them to each program ("madvise" mode, Debian's default): a result of hundreds of MiB written once
/// (the evaluation's k-NN lists) then takes one page fault per 2 MiB instead of one per 4 KiB. A hint only: on
/// other systems, small tensors or a refusal nothing changes.
/// </summary>
public static class HugePages
{
    private const int MadviseHugePage = 14;
    private const long HugePageSize = 2 << 20;

    /// <summary>Advises the whole 2 MiB pages inside <paramref name="tensor"/>'s storage; returns whether the kernel accepted it.</summary>
    public static bool Advise(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!OperatingSystem.IsLinux() || tensor.device_type != TorchSharp.DeviceType.CPU || !tensor.is_contiguous() || tensor.numel() == 0)
            return false;
        long start, length = tensor.numel() * tensor.element_size();
        unsafe
        {
            fixed (byte* data = tensor.bytes)
                start = (long)data;
        }
        return Advise((nint)start, length);
    }

    /// <summary>
    /// Advises the whole 2 MiB pages inside the native buffer of <paramref name="length"/> bytes at
    /// <paramref name="start"/> (memory this process allocated, not yet freed); returns whether the kernel accepted it.
    /// </summary>
    public static bool Advise(nint start, long length)
    {
        if (!OperatingSystem.IsLinux() || start == 0 || length <= 0)
            return false;
        long first = ((long)start + HugePageSize - 1) / HugePageSize * HugePageSize, end = ((long)start + length) / HugePageSize * HugePageSize;
        return end > first && madvise((IntPtr)first, (UIntPtr)(ulong)(end - first), MadviseHugePage) == 0;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int madvise(IntPtr address, UIntPtr length, int advice);
}
