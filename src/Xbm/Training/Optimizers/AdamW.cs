using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training.Optimizers;

/// <summary>
/// AdamW (Loshchilov and Hutter: decoupled weight decay), the same update and state as TorchSharp's
/// <see cref="TorchSharp.Modules.AdamW"/>, with every Scalar held until the step is done instead of left to the
/// finalizer (see <see cref="Adam"/> and <see cref="Runtime.Scalars"/>).
/// </summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
    : TorchSharp.Modules.AdamW(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad)
{
    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double lr = options.LearningRate!.Value;
        bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
        using var update = new AdamStep(lr, options.beta1!.Value, options.beta2!.Value, options.eps!.Value);
        double shrink = 1 - lr * options.weight_decay!.Value;
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (maximize)
                grad = grad.neg();
            state.step++;
            update.Apply(parameter, grad, state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq, amsgrad, shrink);
        }
    }, closure);
}
