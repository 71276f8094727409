using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training.Optimizers;

/// <summary>
/// The part of a step that <see cref="Adam"/> and <see cref="AdamW"/> share, after their different weight decays:
/// the two moment updates (optionally AMSGrad's running maximum) and the bias-corrected parameter update, in
/// TorchSharp's order of operations. Holds one parameter group's Scalars until disposed (see <see cref="Runtime.Scalars"/>).
/// </summary>
internal sealed class AdamStep : IDisposable
{
    private readonly double _learningRate, _beta1, _beta2;
    private readonly Scalar _beta1Scalar, _beta2Scalar, _oneMinusBeta1, _oneMinusBeta2, _eps;

    public AdamStep(double learningRate, double beta1, double beta2, double eps)
    {
        (_learningRate, _beta1, _beta2) = (learningRate, beta1, beta2);
        _beta1Scalar = beta1.ToScalar();
        _beta2Scalar = beta2.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _eps = eps.ToScalar();
    }

    /// <summary>Updates the moments with <paramref name="grad"/> at step <paramref name="step"/> (1-based), then the parameter.</summary>
    public void Apply(Parameter parameter, Tensor grad, long step, Tensor expAvg, Tensor expAvgSq, ref Tensor maxExpAvgSq, bool amsgrad)
    {
        double correction1 = 1 - Math.Pow(_beta1, step);
        double correction2 = 1 - Math.Pow(_beta2, step);
        expAvg.mul_(_beta1Scalar).add_(grad, _oneMinusBeta1);
        expAvgSq.mul_(_beta2Scalar).addcmul_(grad, grad.conj(), _oneMinusBeta2);
        Tensor second = expAvgSq;
        if (amsgrad)
        {
            var previous = maxExpAvgSq;
            maxExpAvgSq = maximum(previous, expAvgSq).DetachFromDisposeScope();
            previous.Dispose();
            second = maxExpAvgSq;
        }
        using var rootCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var stepSize = (-_learningRate / correction1).ToScalar();
        var denominator = second.sqrt().div_(rootCorrection2).add_(_eps, Runtime.Scalars.One);
        parameter.addcdiv_(expAvg, denominator, stepSize);
    }

    public void Dispose()
    {
        foreach (var scalar in new[] { _beta1Scalar, _beta2Scalar, _oneMinusBeta1, _oneMinusBeta2, _eps })
            scalar.Dispose();
    }
}
