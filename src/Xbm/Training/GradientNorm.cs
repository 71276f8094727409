using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp.Modules;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// The global L2 norm of the parameters' gradients, which the trainer takes before every optimizer step (a step with
/// a non-finite norm is skipped). Dense float32 CPU gradients are summed on the host, in double precision, in one
/// pass each; others (another device or type) with tensor operations.
/// </summary>
public static unsafe class GradientNorm
{
    /// <summary>√(Σ g²) over every parameter that has a gradient; 0 when none has.</summary>
    public static double Of(IEnumerable<Parameter> parameters)
    {
        double sum = 0;
        List<Tensor>? others = null;
        Span<nint> values = stackalloc nint[1];
        foreach (var parameter in parameters)
        {
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (DenseFloats.TryGet([grad], values, out long count))
                sum += SumOfSquares((float*)values[0], count);
            else
                (others ??= []).Add(grad.detach().to(ScalarType.Float64).pow(Scalars.Two).sum());
        }
        if (others is not null)
            sum += stack(others).sum().cpu().item<double>();
        return Math.Sqrt(sum);
    }

    /// <summary>Σ x² over <paramref name="count"/> values, accumulated in double precision.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see AdamKernel.Update
    internal static double SumOfSquares(float* values, long count)
    {
        long i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256<double>.Zero;
            for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var x = Vector256.Load(values + i);
                var (lower, upper) = (Vector256.WidenLower(x), Vector256.WidenUpper(x));
                lanes = Vector256.FusedMultiplyAdd(lower, lower, lanes);
                lanes = Vector256.FusedMultiplyAdd(upper, upper, lanes);
            }
            sum = Vector256.Sum(lanes);
        }
        for (; i < count; i++)
            sum += (double)values[i] * values[i];
        return sum;
    }
}
