using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training.Optimizers;

/// <summary>
/// The part of a step that <see cref="Adam"/> and <see cref="AdamW"/> share: AdamW's decoupled shrink of the parameter
/// (if any), the two moment updates (optionally AMSGrad's running maximum) and the bias-corrected parameter update, in
/// TorchSharp's order of operations.
/// </summary>
/// <remarks>
/// On the CPU, a float32 parameter whose gradient and state share its dense layout (contiguous or channels-last) is
/// updated by <see cref="AdamKernel"/> in one pass over host memory: the same arithmetic without seven libtorch calls
/// per parameter, which made the optimizer a tenth of a small model's step (docs/benchmarks.md, issue 18). Other
/// parameters (another device or type) take the tensor form, whose Scalars are made on first use and held until
/// disposed (see <see cref="Runtime.Scalars"/>). The host form writes the values in place without bumping libtorch's
/// version counters, as an optimizer step under no_grad would: a graph kept alive across the step (retain_graph)
/// is not told that its saved parameters changed.
/// </remarks>
internal sealed unsafe class AdamStep(double learningRate, double beta1, double beta2, double eps) : IDisposable
{
    // β₁, β₂, 1 − β₁, 1 − β₂, ε for the tensor form; null until a parameter needs it.
    private Scalar? _beta1, _beta2, _oneMinusBeta1, _oneMinusBeta2, _eps;

    /// <summary>How many parameter updates this thread has made in the host form (for tests of the dispatch).</summary>
    [ThreadStatic]
    internal static long HostUpdates;

    /// <summary>
    /// Updates the moments with <paramref name="grad"/> at step <paramref name="step"/> (1-based), then the parameter:
    /// first multiplied by <paramref name="shrink"/> (AdamW's <c>1 − lr·λ</c>; 1 for Adam), then moved by the step.
    /// </summary>
    public void Apply(Parameter parameter, Tensor grad, long step, Tensor expAvg, Tensor expAvgSq, ref Tensor maxExpAvgSq, bool amsgrad, double shrink = 1)
    {
        double correction1 = 1 - Math.Pow(beta1, step);
        double correction2 = 1 - Math.Pow(beta2, step);
        if (!TryApplyOnHost(parameter, grad, expAvg, expAvgSq, amsgrad ? maxExpAvgSq : null, correction1, correction2, shrink))
            ApplyWithTensors(parameter, grad, expAvg, expAvgSq, ref maxExpAvgSq, amsgrad, correction1, correction2, shrink);
    }

    private void ApplyWithTensors(Parameter parameter, Tensor grad, Tensor expAvg, Tensor expAvgSq, ref Tensor maxExpAvgSq, bool amsgrad,
        double correction1, double correction2, double shrink)
    {
        if (_eps is null)
        {
            _beta1 = beta1.ToScalar();
            _beta2 = beta2.ToScalar();
            _oneMinusBeta1 = (1 - beta1).ToScalar();
            _oneMinusBeta2 = (1 - beta2).ToScalar();
            _eps = eps.ToScalar();
        }
        if (shrink != 1)
        {
            using var shrinkScalar = shrink.ToScalar();
            parameter.mul_(shrinkScalar);
        }
        expAvg.mul_(_beta1!).add_(grad, _oneMinusBeta1!);
        expAvgSq.mul_(_beta2!).addcmul_(grad, grad.conj(), _oneMinusBeta2!);
        Tensor second = expAvgSq;
        if (amsgrad)
        {
            var previous = maxExpAvgSq;
            maxExpAvgSq = maximum(previous, expAvgSq).DetachFromDisposeScope();
            previous.Dispose();
            second = maxExpAvgSq;
        }
        using var rootCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var stepSize = (-learningRate / correction1).ToScalar();
        var denominator = second.sqrt().div_(rootCorrection2).add_(_eps, Runtime.Scalars.One);
        parameter.addcdiv_(expAvg, denominator, stepSize);
    }

    private bool TryApplyOnHost(Parameter parameter, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq,
        double correction1, double correction2, double shrink)
    {
        Span<nint> values = stackalloc nint[5];
        ReadOnlySpan<Tensor> tensors = maxExpAvgSq is null ? [parameter, grad, expAvg, expAvgSq] : [parameter, grad, expAvg, expAvgSq, maxExpAvgSq];
        if (!Runtime.DenseFloats.TryGet(tensors, values, out long count))
            return false;
        var coefficients = new AdamKernel.Coefficients((float)shrink, (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
            (float)Math.Sqrt(correction2), (float)(-learningRate / correction1), (float)eps);
        AdamKernel.Update((float*)values[0], (float*)values[1], (float*)values[2], (float*)values[3],
            maxExpAvgSq is null ? null : (float*)values[4], count, coefficients);
        HostUpdates++;
        return true;
    }

    public void Dispose()
    {
        foreach (var scalar in new[] { _beta1, _beta2, _oneMinusBeta1, _oneMinusBeta2, _eps })
            scalar?.Dispose();
    }
}
