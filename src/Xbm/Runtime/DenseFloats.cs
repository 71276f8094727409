using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Runtime;

/// <summary>
/// In-place host access to float32 CPU tensors that share one shape and one dense layout: each fills one span of its
/// storage without gaps or overlaps, in any order of dimensions (contiguous, channels-last, ...). Element-wise kernels
/// over such tensors can run over their values as flat arrays in storage order, without a libtorch call per operation.
/// </summary>
/// <remarks>
/// Reads shapes and strides through LibTorchSharp's per-dimension entry points: TorchSharp's <c>shape</c> and
/// <c>stride()</c> allocate arrays and cost 1–2 µs each, more than an element-wise kernel over a small tensor.
/// </remarks>
internal static unsafe class DenseFloats
{
    private const int MaxDimensions = 8;

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    [DllImport("LibTorchSharp")]
    private static extern long THSTensor_ndimension(IntPtr handle);

    [DllImport("LibTorchSharp")]
    private static extern long THSTensor_size(IntPtr handle, long dimension);

    [DllImport("LibTorchSharp")]
    private static extern long THSTensor_stride(IntPtr handle, long dimension);

    [DllImport("LibTorchSharp")]
    private static extern sbyte THSTensor_type(IntPtr handle);

    [DllImport("LibTorchSharp")]
    private static extern int THSTensor_device_type(IntPtr handle);

    /// <summary>
    /// Points <paramref name="values"/>[k] at the first of <paramref name="tensors"/>[k]'s values in storage order and
    /// gives their common <paramref name="count"/>; false (and nothing usable) when any tensor is not a dense float32
    /// CPU tensor with the first one's shape and strides, or when they are empty.
    /// </summary>
    public static bool TryGet(ReadOnlySpan<Tensor> tensors, Span<nint> values, out long count)
    {
        count = 0;
        if (tensors.Length == 0 || values.Length < tensors.Length)
            return false;
        var first = tensors[0].Handle;
        long dimensions = THSTensor_ndimension(first);
        if (dimensions > MaxDimensions || !IsFloatOnCpu(first))
            return false;
        Span<long> shape = stackalloc long[(int)dimensions], strides = stackalloc long[(int)dimensions];
        for (int k = 0; k < dimensions; k++)
        {
            shape[k] = THSTensor_size(first, k);
            strides[k] = THSTensor_stride(first, k);
        }
        if (!IsDense(shape, strides, out count) || count == 0)
            return false;
        for (int t = 0; t < tensors.Length; t++)
        {
            var handle = tensors[t].Handle;
            if (t > 0 && !HasLayout(handle, shape, strides))
                return false;
            values[t] = THSTensor_data(handle);
            if (values[t] == 0)
                return false;
        }
        return true;
    }

    /// <summary>
    /// The values of a 4-D float32 CPU tensor when they are stored channels-last without gaps (N·H·W rows of C
    /// channels each; a dimension of size 1 may have any stride); false otherwise, and for an empty tensor.
    /// </summary>
    public static bool TryGetChannelsLast(Tensor tensor, out ChannelsLastFloats view)
    {
        view = default;
        var handle = tensor.Handle;
        if (THSTensor_ndimension(handle) != 4 || !IsFloatOnCpu(handle))
            return false;
        long n = THSTensor_size(handle, 0), c = THSTensor_size(handle, 1), h = THSTensor_size(handle, 2), w = THSTensor_size(handle, 3);
        if (n * c * h * w == 0 || c > int.MaxValue)
            return false;
        ReadOnlySpan<long> sizes = [n, c, h, w];
        ReadOnlySpan<long> expected = [h * w * c, 1, w * c, c];
        for (int k = 0; k < 4; k++)
            if (sizes[k] != 1 && THSTensor_stride(handle, k) != expected[k])
                return false;
        view = new ChannelsLastFloats(THSTensor_data(handle), n, (int)c, h, w);
        return view.Values != 0;
    }

    private static bool IsFloatOnCpu(IntPtr handle) =>
        THSTensor_type(handle) == (sbyte)ScalarType.Float32 && THSTensor_device_type(handle) == (int)DeviceType.CPU;

    private static bool HasLayout(IntPtr handle, ReadOnlySpan<long> shape, ReadOnlySpan<long> strides)
    {
        if (THSTensor_ndimension(handle) != shape.Length || !IsFloatOnCpu(handle))
            return false;
        for (int k = 0; k < shape.Length; k++)
            if (THSTensor_size(handle, k) != shape[k] || (shape[k] != 1 && THSTensor_stride(handle, k) != strides[k]))
                return false;
        return true;
    }

    // Dense: taken in order of stride, each dimension's stride is the product of the sizes of the dimensions before
    // it. A dimension of size 1 may have any stride, so it is left out.
    private static bool IsDense(ReadOnlySpan<long> shape, ReadOnlySpan<long> strides, out long count)
    {
        count = 1;
        Span<bool> used = stackalloc bool[shape.Length];
        for (int k = 0; k < shape.Length; k++)
            if (shape[k] == 1)
                used[k] = true;
            else if (shape[k] == 0)
            {
                count = 0;
                return true;
            }
        while (true)
        {
            int next = -1;
            for (int k = 0; k < shape.Length; k++)
                if (!used[k] && (next < 0 || strides[k] < strides[next]))
                    next = k;
            if (next < 0)
                return true;
            if (strides[next] != count)
                return false;
            used[next] = true;
            count *= shape[next];
        }
    }
}
