using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training.Optimizers;

/// <summary>
/// Adam (Kingma and Ba), the same update as TorchSharp's <see cref="TorchSharp.Modules.Adam"/> (L2 weight decay
/// added to the gradient, optional AMSGrad and maximize), with the same state, so checkpoints stay compatible.
/// TorchSharp's step makes several temporary Scalars per parameter (<c>mul_(beta1)</c>, the alpha of
/// <c>add_</c>, <c>/ sqrt(c)</c>), which a garbage collection on another thread can free while libtorch reads
/// them; here every Scalar is held by a <c>using</c> until the step is done (see <see cref="Runtime.Scalars"/>).
/// </summary>
public sealed class Adam(IEnumerable<Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
    : TorchSharp.Modules.Adam(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad)
{
    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, decay = options.weight_decay!.Value, eps = options.eps!.Value;
        bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
        double lr = options.LearningRate!.Value;
        using var beta1Scalar = beta1.ToScalar();
        using var beta2Scalar = beta2.ToScalar();
        using var oneMinusBeta1 = (1 - beta1).ToScalar();
        using var oneMinusBeta2 = (1 - beta2).ToScalar();
        using var decayScalar = decay.ToScalar();
        using var epsScalar = eps.ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (maximize)
                grad = grad.neg();
            state.step++;
            double correction1 = 1 - Math.Pow(beta1, state.step);
            double correction2 = 1 - Math.Pow(beta2, state.step);
            if (decay != 0)
                grad = grad.add(parameter, decayScalar);
            state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad.conj(), oneMinusBeta2);
            Tensor second = state.exp_avg_sq;
            if (amsgrad)
            {
                var previous = state.max_exp_avg_sq;
                state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                previous.Dispose();
                second = state.max_exp_avg_sq;
            }
            using var rootCorrection2 = Math.Sqrt(correction2).ToScalar();
            using var stepSize = (-lr / correction1).ToScalar();
            var denominator = second.sqrt().div_(rootCorrection2).add_(epsScalar, Runtime.Scalars.One);
            parameter.addcdiv_(state.exp_avg, denominator, stepSize);
        }
    }, closure);
}
