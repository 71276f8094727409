using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Training.Optimizers;

/// <summary>
/// Adam's element-wise update over values in host memory, in one pass: the two moments, AMSGrad's running maximum
/// (optional), and the parameter, shrunk by AdamW's decoupled decay (λ') and moved by the bias-corrected step. Each
/// element goes through the float operations of <see cref="AdamStep"/>'s tensor operations in libtorch's CPU
/// kernels, in their order and with their fused multiply-adds: <c>m = fma(g, 1 − β₁, m·β₁)</c>,
/// <c>v = fma((1 − β₂)·g, g, v·β₂)</c>, <c>p = p·λ' + (s·m) / (√v̂ / √c₂ + ε)</c>. The one difference is the square
/// root, which is correctly rounded here and within an ulp in libtorch's vectorised kernel, so the two differ in the
/// last bit of some elements.
/// </summary>
internal static unsafe class AdamKernel
{
    /// <summary>The step's constants, rounded to float as libtorch rounds a Scalar for a float32 tensor.</summary>
    public readonly record struct Coefficients(float Shrink, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float RootCorrection2, float StepSize, float Eps);

    /// <summary>
    /// Updates <paramref name="count"/> values: the moments <paramref name="expAvg"/> and <paramref name="expAvgSq"/>
    /// with the gradient <paramref name="grad"/>, <paramref name="maxExpAvgSq"/> (null without AMSGrad) and then
    /// <paramref name="parameter"/>.
    /// </summary>
    // Fully optimised from the first call: tier-0 code does not inline Vector256's loads and stores, and is several
    // times slower for the first steps of a run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update(float* parameter, float* grad, float* expAvg, float* expAvgSq, float* maxExpAvgSq, long count, in Coefficients c)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated && maxExpAvgSq is null)
        {
            var beta1 = Vector256.Create(c.Beta1);
            var oneMinusBeta1 = Vector256.Create(c.OneMinusBeta1);
            var beta2 = Vector256.Create(c.Beta2);
            var oneMinusBeta2 = Vector256.Create(c.OneMinusBeta2);
            var rootCorrection2 = Vector256.Create(c.RootCorrection2);
            var stepSize = Vector256.Create(c.StepSize);
            var eps = Vector256.Create(c.Eps);
            var shrink = Vector256.Create(c.Shrink);
            for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(grad + i);
                var m = Vector256.FusedMultiplyAdd(g, oneMinusBeta1, Vector256.Load(expAvg + i) * beta1);
                var v = Vector256.FusedMultiplyAdd(oneMinusBeta2 * g, g, Vector256.Load(expAvgSq + i) * beta2);
                m.Store(expAvg + i);
                v.Store(expAvgSq + i);
                var denominator = Vector256.Sqrt(v) / rootCorrection2 + eps;
                (Vector256.Load(parameter + i) * shrink + stepSize * m / denominator).Store(parameter + i);
            }
        }
        for (; i < count; i++)
        {
            float g = grad[i];
            float m = MathF.FusedMultiplyAdd(g, c.OneMinusBeta1, expAvg[i] * c.Beta1);
            float v = MathF.FusedMultiplyAdd(c.OneMinusBeta2 * g, g, expAvgSq[i] * c.Beta2);
            expAvg[i] = m;
            expAvgSq[i] = v;
            if (maxExpAvgSq is not null)
                v = maxExpAvgSq[i] = MathF.Max(maxExpAvgSq[i], v);
            parameter[i] = parameter[i] * c.Shrink + c.StepSize * m / (MathF.Sqrt(v) / c.RootCorrection2 + c.Eps);
        }
    }
}
