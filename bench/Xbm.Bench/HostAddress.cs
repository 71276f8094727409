using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>The address of a contiguous float32 CPU tensor's data, for the benchmark's host kernels.</summary>
internal static unsafe class HostAddress
{
    /// <summary>The address of <paramref name="tensor"/>'s first element.</summary>
    public static nint Of(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || tensor.dtype != ScalarType.Float32 || !tensor.is_contiguous())
            throw new ArgumentException("the host kernels need contiguous float32 CPU tensors");
        return (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
    }
}
