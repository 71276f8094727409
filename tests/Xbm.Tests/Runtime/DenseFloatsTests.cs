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

    [Fact]
    public void ChannelsLastViewsGiveRowsOfChannelsAndOthersAreRefused()
    {
        using var scope = NewDisposeScope();
        var values = Counting(2 * 3 * 4 * 5).reshape(2, 3, 4, 5);
        Assert.True(DenseFloats.TryGetChannelsLast(values.ToChannelsLast(), out var view));
        Assert.Equal((2L, 3, 4L, 5L, 40L), (view.N, view.C, view.H, view.W, view.Rows));
        Assert.Equal(new long[] { 2, 3, 4, 5 }, view.Shape);
        // Row (n, h, w) holds the channels of that position: row 1 is (0, 0, 1).
        Assert.Equal([1f, 21f, 41f], new ReadOnlySpan<float>(view.Pointer + 3, 3).ToArray());

        Assert.False(DenseFloats.TryGetChannelsLast(values, out _)); // NCHW with more than one channel
        Assert.False(DenseFloats.TryGetChannelsLast(values.ToChannelsLast().to(float64), out _));
        Assert.False(DenseFloats.TryGetChannelsLast(values.ToChannelsLast()[.., .., 1..3], out _)); // a gap between rows
        Assert.False(DenseFloats.TryGetChannelsLast(values.reshape(6, 20), out _));
        // A single channel, or a single position, is channels-last in any of the equivalent layouts.
        Assert.True(DenseFloats.TryGetChannelsLast(Counting(40).reshape(2, 1, 4, 5), out view));
        Assert.Equal(40L, view.Rows);
        Assert.False(DenseFloats.TryGetChannelsLast(values[.., 0..1], out _)); // one channel, but the others lie between the images
        Assert.True(DenseFloats.TryGetChannelsLast(values.reshape(2, 60, 1, 1), out view));
        Assert.Equal((2L, 60), (view.Rows, view.C));
        Assert.False(DenseFloats.TryGetChannelsLast(values[0..0], out _)); // empty
    }

    // 0, 1, …, count − 1 as float32.
    private static Tensor Counting(int count) => tensor(Enumerable.Range(0, count).Select(i => (float)i).ToArray());
}
