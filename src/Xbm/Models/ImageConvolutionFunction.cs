using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// A network's first convolution over single-channel images, on the host: 3 × 3, stride 1, zero padding 1, no bias,
/// float32 CPU, an output channel count that is a multiple of 8, and images that need no gradient (only the weight's
/// is computed). The output is channels-last. oneDNN's kernels, made for many input channels, take about 1.5 × the time
/// of PyTorch 1.13's for this shape (docs/benchmarks.md, issue 18); here each output pixel is nine multiply-adds per
/// eight output channels with the weights held in registers.
/// </summary>
internal sealed unsafe class ImageConvolutionFunction : autograd.SingleTensorFunction<ImageConvolutionFunction>
{
    private const int Lanes = 8;

    /// <summary>Forward passes this thread ran here (tests check that the host form was taken).</summary>
    [ThreadStatic]
    internal static long HostForwards;

    /// <inheritdoc />
    public override string Name => "XbmImageConvolution";

    /// <summary>Whether <see cref="Apply"/> can take <paramref name="input"/> through <paramref name="convolution"/>.</summary>
    public static bool Accepts(Tensor input, nn.Module<Tensor, Tensor> convolution)
    {
        if (convolution is not TorchSharp.Modules.Conv2d conv || conv.bias is not null || conv.groups != 1 || conv.transposed
            || conv.padding_mode != TorchSharp.PaddingModes.Zeros || conv.padding is not [1, 1]
            || conv.kernel_size is not [3, 3] || conv.stride is not [1, 1] || conv.dilation is not [1, 1])
            return false;
        if (input.requires_grad || !DenseFloats.TryGetChannelsLast(input, out var view) || view.C != 1)
            return false;
        var weight = conv.weight!;
        Span<nint> values = stackalloc nint[1];
        return DenseFloats.TryGet([weight], values, out long count) && count == weight.shape[0] * 9 && weight.shape[0] % Lanes == 0;
    }

    /// <summary>The convolution of <paramref name="input"/> with <paramref name="weight"/>; the caller checked <see cref="Accepts"/>.</summary>
    public static Tensor Apply(Tensor input, Tensor weight) => apply(input, weight);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        DenseFloats.TryGetChannelsLast(input, out var view);
        int channels = (int)weight.shape[0];
        var taps = Taps(weight, channels);
        long[] shape = [view.N, channels, view.H, view.W];
        var output = empty_strided(shape, ChannelsLast.Strides(shape), dtype: ScalarType.Float32, device: CPU);
        DenseFloats.TryGetChannelsLast(output, out var y);
        var padded = Padded(view);
        try
        {
            fixed (float* t = taps)
            fixed (float* x = padded)
                Forward(x, view, t, channels, y.Pointer);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
        ctx.save_for_backward([input]);
        HostForwards++;
        return output;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var input = ctx.get_saved_variables()[0];
        DenseFloats.TryGetChannelsLast(input, out var view);
        int channels = (int)grad_output.shape[1];
        long[] shape = [view.N, channels, view.H, view.W];
        using var copy = DenseFloats.TryGetChannelsLast(grad_output, out var g) ? null
            : empty_strided(shape, ChannelsLast.Strides(shape), dtype: ScalarType.Float32, device: CPU).copy_(grad_output);
        if (copy is not null)
            DenseFloats.TryGetChannelsLast(copy, out g);
        var sums = new double[9 * channels];
        var padded = Padded(view);
        try
        {
            fixed (float* x = padded)
            fixed (double* s = sums)
                WeightGradient(x, view, g.Pointer, channels, s);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
        // The weight's gradient in the order (channel, tap), as a contiguous (C, 1, 3, 3) tensor.
        var gradient = new float[9 * channels];
        for (int c = 0; c < channels; c++)
            for (int k = 0; k < 9; k++)
                gradient[c * 9 + k] = (float)sums[k * channels + c];
        return [null!, tensor(gradient, [channels, 1, 3, 3])];
    }

    // The weight as nine taps (kh, kw) of all output channels each.
    private static float[] Taps(Tensor weight, int channels)
    {
        using var detached = weight.detach();
        using var contiguous = detached.contiguous();
        var values = contiguous.data<float>();
        var taps = new float[9 * channels];
        for (int c = 0; c < channels; c++)
            for (int k = 0; k < 9; k++)
                taps[k * channels + c] = values[c * 9 + k];
        return taps;
    }

    // The images with a border of zeros, (N, H + 2, W + 2), in an array rented from the shared pool.
    private static float[] Padded(ChannelsLastFloats view)
    {
        long width = view.W + 2, height = view.H + 2;
        int length = checked((int)(view.N * height * width));
        var values = ArrayPool<float>.Shared.Rent(length);
        Array.Clear(values, 0, length);
        float* source = view.Pointer;
        for (long n = 0; n < view.N; n++)
            for (long h = 0; h < view.H; h++)
                new ReadOnlySpan<float>(source + (n * view.H + h) * view.W, (int)view.W)
                    .CopyTo(values.AsSpan((int)((n * height + h + 1) * width + 1)));
        return values;
    }

    // y[n, h, w, c] = Σ over the nine taps of x[n, h + kh − 1, w + kw − 1] · weight[c, kh, kw].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Forward(float* x, ChannelsLastFloats view, float* taps, int channels, float* y)
    {
        long width = view.W + 2, height = view.H + 2;
        for (int c = 0; c < channels; c += Lanes)
        {
            var w0 = Vector256.Load(taps + c);
            var w1 = Vector256.Load(taps + channels + c);
            var w2 = Vector256.Load(taps + 2 * channels + c);
            var w3 = Vector256.Load(taps + 3 * channels + c);
            var w4 = Vector256.Load(taps + 4 * channels + c);
            var w5 = Vector256.Load(taps + 5 * channels + c);
            var w6 = Vector256.Load(taps + 6 * channels + c);
            var w7 = Vector256.Load(taps + 7 * channels + c);
            var w8 = Vector256.Load(taps + 8 * channels + c);
            float* output = y + c;
            for (long n = 0; n < view.N; n++)
                for (long h = 0; h < view.H; h++)
                {
                    float* top = x + (n * height + h) * width, middle = top + width, bottom = middle + width;
                    for (long w = 0; w < view.W; w++, output += channels)
                    {
                        var sum = Vector256.Create(top[w]) * w0;
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(top[w + 1]), w1, sum);
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(top[w + 2]), w2, sum);
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(middle[w]), w3, sum);
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(middle[w + 1]), w4, sum);
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(middle[w + 2]), w5, sum);
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(bottom[w]), w6, sum);
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(bottom[w + 1]), w7, sum);
                        sum = Vector256.FusedMultiplyAdd(Vector256.Create(bottom[w + 2]), w8, sum);
                        sum.Store(output);
                    }
                }
        }
    }

    // sums[k · C + c] = Σ over the pixels of x at tap k · g[pixel, c]: summed in float along each image row, in double
    // over the rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient(float* x, ChannelsLastFloats view, float* g, int channels, double* sums)
    {
        long width = view.W + 2, height = view.H + 2;
        for (int c = 0; c < channels; c += Lanes)
        {
            float* gradient = g + c;
            for (long n = 0; n < view.N; n++)
                for (long h = 0; h < view.H; h++)
                {
                    float* top = x + (n * height + h) * width, middle = top + width, bottom = middle + width;
                    Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default, s8 = default;
                    for (long w = 0; w < view.W; w++, gradient += channels)
                    {
                        var d = Vector256.Load(gradient);
                        s0 = Vector256.FusedMultiplyAdd(Vector256.Create(top[w]), d, s0);
                        s1 = Vector256.FusedMultiplyAdd(Vector256.Create(top[w + 1]), d, s1);
                        s2 = Vector256.FusedMultiplyAdd(Vector256.Create(top[w + 2]), d, s2);
                        s3 = Vector256.FusedMultiplyAdd(Vector256.Create(middle[w]), d, s3);
                        s4 = Vector256.FusedMultiplyAdd(Vector256.Create(middle[w + 1]), d, s4);
                        s5 = Vector256.FusedMultiplyAdd(Vector256.Create(middle[w + 2]), d, s5);
                        s6 = Vector256.FusedMultiplyAdd(Vector256.Create(bottom[w]), d, s6);
                        s7 = Vector256.FusedMultiplyAdd(Vector256.Create(bottom[w + 1]), d, s7);
                        s8 = Vector256.FusedMultiplyAdd(Vector256.Create(bottom[w + 2]), d, s8);
                    }
                    double* tap = sums + c;
                    AddTo(tap, s0);
                    AddTo(tap + channels, s1);
                    AddTo(tap + 2 * channels, s2);
                    AddTo(tap + 3 * channels, s3);
                    AddTo(tap + 4 * channels, s4);
                    AddTo(tap + 5 * channels, s5);
                    AddTo(tap + 6 * channels, s6);
                    AddTo(tap + 7 * channels, s7);
                    AddTo(tap + 8 * channels, s8);
                }
        }
    }

    // Adds eight float sums to eight double totals.
    private static void AddTo(double* total, Vector256<float> sums)
    {
        (Vector256.Load(total) + Vector256.WidenLower(sums)).Store(total);
        (Vector256.Load(total + 4) + Vector256.WidenUpper(sums)).Store(total + 4);
    }
}
