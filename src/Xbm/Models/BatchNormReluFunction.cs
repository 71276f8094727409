using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// Batch normalisation in training mode followed by ReLU, as one autograd function over float32 CPU activations
/// stored channels-last (<see cref="BatchNormReluKernel"/>): two passes forward where libtorch's BatchNorm and ReLU
/// take four, and two backward where they take three, without a libtorch call per pass. The running statistics are
/// updated as torch.nn.functional.batch_norm does (the running variance unbiased).
/// </summary>
internal sealed unsafe class BatchNormReluFunction : autograd.SingleTensorFunction<BatchNormReluFunction>
{
    private const string StatisticsKey = "statistics";

    /// <summary>Forward passes this thread ran here (tests check that the host form was taken).</summary>
    [ThreadStatic]
    internal static long HostForwards;

    /// <inheritdoc />
    public override string Name => "XbmBatchNormRelu";

    /// <summary>
    /// Whether <see cref="Apply"/> can take <paramref name="input"/>: a float32 CPU tensor stored channels-last with
    /// more than one value per channel, and float32 CPU parameters and statistics of one value per channel.
    /// </summary>
    public static bool Accepts(Tensor input, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVariance)
    {
        if (!DenseFloats.TryGetChannelsLast(input, out var view) || view.Rows < 2)
            return false;
        Span<nint> values = stackalloc nint[4];
        return DenseFloats.TryGet([weight, bias, runningMean, runningVariance], values, out long count) && count == view.C
            && weight.dim() == 1;
    }

    /// <summary>max(0, batch_norm(input)) in training mode; the caller checked <see cref="Accepts"/>.</summary>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVariance, double momentum, double eps) =>
        apply(input, weight, bias, runningMean, runningVariance, momentum, eps);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var bias = (Tensor)vars[2];
        var runningMean = (Tensor)vars[3];
        var runningVariance = (Tensor)vars[4];
        double momentum = (double)vars[5], eps = (double)vars[6];
        DenseFloats.TryGetChannelsLast(input, out var view);
        float* x = view.Pointer;
        long rows = view.Rows;
        int channels = view.C;
        Span<nint> p = stackalloc nint[4];
        DenseFloats.TryGet([weight, bias, runningMean, runningVariance], p, out _);
        var output = Like(view);
        DenseFloats.TryGetChannelsLast(output, out var y);

        var statistics = new Statistics(channels);
        var mean = stackalloc double[channels];
        var variance = stackalloc double[channels];
        fixed (float* inverseStd = statistics.InverseStd)
        {
            BatchNormReluKernel.Statistics(x, rows, channels, eps, mean, variance, inverseStd);
            float* gamma = (float*)p[0], beta = (float*)p[1], meanOut = (float*)p[2], varianceOut = (float*)p[3];
            double unbiased = (double)rows / (rows - 1);
            for (int c = 0; c < channels; c++)
            {
                statistics.Mean[c] = (float)mean[c];
                statistics.MeanError[c] = mean[c] - statistics.Mean[c];
                statistics.Gamma[c] = gamma[c];
                statistics.Scale[c] = gamma[c] * inverseStd[c];
                statistics.Shift[c] = (float)(beta[c] - statistics.MeanError[c] * statistics.Scale[c]);
                meanOut[c] = (float)((1 - momentum) * meanOut[c] + momentum * mean[c]);
                varianceOut[c] = (float)((1 - momentum) * varianceOut[c] + momentum * variance[c] * unbiased);
            }
        }
        fixed (float* centre = statistics.Mean)
        fixed (float* scale = statistics.Scale)
        fixed (float* shift = statistics.Shift)
            BatchNormReluKernel.ScaleShiftRelu(x, y.Pointer, rows, channels, centre, scale, shift);
        ctx.save_for_backward([input]);
        ctx.save_data(StatisticsKey, statistics);
        HostForwards++;
        return output;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var input = ctx.get_saved_variables()[0];
        var statistics = (Statistics)ctx.get_data(StatisticsKey);
        DenseFloats.TryGetChannelsLast(input, out var view);
        long rows = view.Rows;
        int channels = view.C;
        using var copy = DenseFloats.TryGetChannelsLast(grad_output, out var g) ? null : Like(view).copy_(grad_output);
        if (copy is not null)
            DenseFloats.TryGetChannelsLast(copy, out g);
        var inputGradient = Like(view);
        DenseFloats.TryGetChannelsLast(inputGradient, out var dx);
        var weightGradient = empty(channels, dtype: ScalarType.Float32, device: CPU);
        var biasGradient = empty(channels, dtype: ScalarType.Float32, device: CPU);
        Span<nint> d = stackalloc nint[2];
        DenseFloats.TryGet([weightGradient, biasGradient], d, out _);

        var sumG = stackalloc double[channels];
        var sumGx = stackalloc double[channels];
        var a = stackalloc float[channels];
        var e = stackalloc float[channels];
        var f = stackalloc float[channels];
        fixed (float* mean = statistics.Mean)
        fixed (float* gamma = statistics.Gamma)
        fixed (float* inverseStd = statistics.InverseStd)
        fixed (float* scale = statistics.Scale)
        fixed (float* shift = statistics.Shift)
        {
            BatchNormReluKernel.GradientSums(g.Pointer, view.Pointer, scale, shift, mean, rows, channels, sumG, sumGx);
            float* dGamma = (float*)d[0], dBeta = (float*)d[1];
            for (int c = 0; c < channels; c++)
            {
                // The sums were taken about the mean rounded to float; Σ g·(x − μ) in double corrects for it.
                sumGx[c] -= statistics.MeanError[c] * sumG[c];
                double k = gamma[c] * (double)inverseStd[c];
                double slope = k * inverseStd[c] * inverseStd[c] * sumGx[c] / rows;
                a[c] = (float)k;
                e[c] = (float)slope;
                f[c] = (float)(k * sumG[c] / rows);
                dGamma[c] = (float)(sumGx[c] * inverseStd[c]);
                dBeta[c] = (float)sumG[c];
            }
            BatchNormReluKernel.InputGradient(g.Pointer, view.Pointer, scale, shift, mean, dx.Pointer, rows, channels, a, e, f);
        }
        return [inputGradient, weightGradient, biasGradient, null!, null!, null!, null!];
    }

    // An uninitialised float32 CPU tensor with the shape of view, stored channels-last.
    private static Tensor Like(ChannelsLastFloats view)
    {
        var shape = view.Shape;
        return empty_strided(shape, ChannelsLast.Strides(shape), dtype: ScalarType.Float32, device: CPU);
    }

    // The forward pass's per-channel mean (rounded to float, and what the rounding took off), γ, 1/√(σ² + ε), and the
    // scale and shift it applied before ReLU, kept for the backward pass.
    private sealed class Statistics(int channels)
    {
        public float[] Mean { get; } = new float[channels];
        public double[] MeanError { get; } = new double[channels];
        public float[] Gamma { get; } = new float[channels];
        public float[] InverseStd { get; } = new float[channels];
        public float[] Scale { get; } = new float[channels];
        public float[] Shift { get; } = new float[channels];
    }
}
