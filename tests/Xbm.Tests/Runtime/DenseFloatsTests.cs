using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Runtime;

/// <summary>
/// <see cref="DenseFloats"/> hands element-wise host kernels raw pointers: it must accept exactly the float32 CPU
/// tensors that fill their storage span in one shared layout, and point at their first value in storage order.
/// </summary>
public sealed unsafe class DenseFloatsTests
{
    [Fact]
    public void ContiguousAndChannelsLastTensorsGiveTheirStorageInOrder()
    {
        using var scope = NewDisposeScope();
        var values = Counting(2 * 3 * 4 * 5).reshape(2, 3, 4, 5);
        var channelsLast = values.ToChannelsLast();
        var other = zeros_like(channelsLast); // keeps the channels-last layout
        Span<nint> pointers = stackalloc nint[2];

        Assert.True(DenseFloats.TryGet([channelsLast, other], pointers, out long count));
        Assert.Equal(120, count);
        var storage = values.permute(0, 2, 3, 1).contiguous().data<float>().ToArray();
        Assert.Equal(storage, new ReadOnlySpan<float>((float*)pointers[0], (int)count).ToArray());
        Assert.NotEqual(pointers[0], pointers[1]);

        Assert.True(DenseFloats.TryGet([values], pointers, out count));
        Assert.Equal(values.data<float>().ToArray(), new ReadOnlySpan<float>((float*)pointers[0], (int)count).ToArray());
    }

    [Fact]
    public void AnOffsetViewPointsAtItsOwnFirstValue()
    {
        using var scope = NewDisposeScope();
        var rows = Counting(12).reshape(4, 3);
        Span<nint> pointers = stackalloc nint[1];
        Assert.True(DenseFloats.TryGet([rows[2..4]], pointers, out long count));
        Assert.Equal(6, count);
        Assert.Equal(6f, ((float*)pointers[0])[0]);
        Assert.Equal(11f, ((float*)pointers[0])[5]);
    }

    [Fact]
    public void GapsOverlapsOtherTypesAndMixedLayoutsAreRefused()
    {
        using var scope = NewDisposeScope();
        var values = randn(4, 6);
        Span<nint> pointers = stackalloc nint[2];
        Assert.False(DenseFloats.TryGet([values[.., ..3]], pointers, out _));              // every other half row: gaps
        Assert.False(DenseFloats.TryGet([randn(4, 1).expand(4, 6)], pointers, out _));    // stride 0: overlaps
        Assert.False(DenseFloats.TryGet([values.to(ScalarType.Float64)], pointers, out _));
        Assert.False(DenseFloats.TryGet([values, values.t().contiguous().t()], pointers, out _)); // same shape, other strides
        Assert.False(DenseFloats.TryGet([values, randn(6, 4)], pointers, out _));
        Assert.False(DenseFloats.TryGet([zeros(0, 6)], pointers, out _));
        Assert.True(DenseFloats.TryGet([values.t(), values.t().clone()], pointers, out _)); // transposed: dense, same strides
    }

    // 0, 1, …, count − 1 as float32.
    private static Tensor Counting(int count) => tensor(Enumerable.Range(0, count).Select(i => (float)i).ToArray());
}
