namespace Xbm.Runtime;

/// <summary>
/// A float32 CPU tensor of shape (N, C, H, W) stored channels-last without gaps (<see cref="DenseFloats.TryGetChannelsLast"/>):
/// <see cref="Rows"/> rows of <see cref="C"/> values each, the first at <see cref="Values"/>.
/// </summary>
internal readonly record struct ChannelsLastFloats(nint Values, long N, int C, long H, long W)
{
    /// <summary>N·H·W, one row per image position.</summary>
    public long Rows => N * H * W;

    /// <summary>The tensor's shape, (N, C, H, W).</summary>
    public long[] Shape => [N, C, H, W];

    /// <summary>The first value.</summary>
    public unsafe float* Pointer => (float*)Values;
}
