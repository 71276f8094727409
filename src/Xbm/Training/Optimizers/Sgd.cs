using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay: the same update and state as
/// TorchSharp's <see cref="SGD"/>, with every Scalar held until the step is done instead of left to the finalizer
/// (see <see cref="Adam"/> and <see cref="Runtime.Scalars"/>).
/// </summary>
public sealed class Sgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    : SGD(parameters, lr, momentum, dampening, weightDecay, nesterov)
{
    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double momentum = options.momentum!.Value, dampening = options.dampening!.Value, decay = options.weight_decay!.Value;
        bool nesterov = options.nesterov!.Value, maximize = options.maximize!.Value;
        double lr = options.LearningRate!.Value;
        using var decayScalar = decay.ToScalar();
        using var momentumScalar = momentum.ToScalar();
        using var oneMinusDampening = (1 - dampening).ToScalar();
        using var stepSize = (maximize ? lr : -lr).ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null)
                continue;
            if (decay != 0)
                grad = grad.add(parameter, decayScalar);
            if (momentum != 0)
            {
                var buffer = state.momentum_buffer;
                if (buffer is null)
                    buffer = state.momentum_buffer = grad.clone().detach().DetachFromDisposeScope();
                else
                    buffer.mul_(momentumScalar).add_(grad, oneMinusDampening);
                grad = nesterov ? grad.add(buffer, momentumScalar) : buffer;
            }
            parameter.add_(grad, stepSize);
        }
    }, closure);
}
