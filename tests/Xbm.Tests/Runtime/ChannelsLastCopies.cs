using static TorchSharp.torch;

namespace Xbm.Tests.Runtime;

/// <summary>Test helper: a channels-last copy of a 4-D tensor (TorchSharp has no memory_format argument).</summary>
internal static class ChannelsLastCopies
{
    /// <summary>A copy of <paramref name="tensor"/> with channels-last (NHWC) strides and the same values.</summary>
    public static Tensor ToChannelsLast(this Tensor tensor) =>
        empty_strided(tensor.shape, Xbm.Models.ChannelsLast.Strides(tensor.shape), dtype: tensor.dtype, device: tensor.device).copy_(tensor);
}
