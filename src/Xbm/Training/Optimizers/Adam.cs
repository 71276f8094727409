using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training.Optimizers;

/// <summary>
/// Adam (Kingma and Ba), the same update as TorchSharp's <see cref="TorchSharp.Modules.Adam"/> (L2 weight decay
/// added to the gradient, optional AMSGrad and maximize), with the same state, so checkpoints stay compatible.
/// TorchSharp's step makes several temporary Scalars per parameter (<c>mul_(beta1)</c>, the alpha of
/// <c>add_</c>, <c>/ sqrt(c)</c>), which a garbage collection on another thread can free while libtorch reads
/// them; here every Scalar is held until the step is done (see <see cref="Runtime.Scalars"/>).
/// </summary>
public sealed class Adam(IEnumerable<Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
    : TorchSharp.Modules.Adam(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad)
{
    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double decay = options.weight_decay!.Value;
        bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
        using var update = new AdamStep(options.LearningRate!.Value, options.beta1!.Value, options.beta2!.Value, options.eps!.Value);
        using var decayScalar = decay.ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (maximize)
                grad = grad.neg();
            state.step++;
            if (decay != 0)
                grad = grad.add(parameter, decayScalar);
            update.Apply(parameter, grad, state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq, amsgrad);
        }
    }, closure);
}
