using TorchSharp.Modules;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// Batch normalisation over (N, C, H, W) inputs, as torch.nn.BatchNorm2d, with its state names and order (weight,
/// bias, running_mean, running_var, num_batches_tracked), so that torchvision weights and existing checkpoints load.
/// It replaces TorchSharp's BatchNorm2d, whose forward counts batches with <c>num_batches_tracked.add_(1)</c>: a
/// temporary Scalar that a garbage collection on another thread can free while libtorch reads it (see
/// <see cref="Scalars"/>). Here the count uses a Scalar that lives as long as the process; the normalisation is
/// libtorch's batch_norm, which takes momentum and eps as plain doubles. Made with <c>relu: true</c>, the layer applies
/// ReLU to its output too; in training mode, on float32 CPU activations stored channels-last, both run as one host
/// function (<see cref="BatchNormReluFunction"/>) that passes over the activations fewer times than the two layers.
/// </summary>
public sealed class BatchNorm2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly Tensor num_batches_tracked;

    /// <summary>Creates the layer: scale 1, shift 0, running mean 0 and variance 1.</summary>
    /// <param name="features">Number of channels C.</param>
    /// <param name="eps">Added to the variance (1e-5 as in PyTorch; torchvision's GoogLeNet uses 1e-3).</param>
    /// <param name="momentum">Weight of the current batch in the running statistics.</param>
    /// <param name="relu">Whether ReLU follows the normalisation (max(0, ·) of the output).</param>
    public BatchNorm2d(long features, double eps = 1e-5, double momentum = 0.1, bool relu = false) : base(nameof(BatchNorm2d))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        Features = features;
        Eps = eps;
        Momentum = momentum;
        Relu = relu;
        weight = nn.Parameter(ones(features));
        bias = nn.Parameter(zeros(features));
        running_mean = zeros(features);
        running_var = ones(features);
        num_batches_tracked = tensor(0L);
        register_parameter(nameof(weight), weight);
        register_parameter(nameof(bias), bias);
        register_buffer(nameof(running_mean), running_mean);
        register_buffer(nameof(running_var), running_var);
        register_buffer(nameof(num_batches_tracked), num_batches_tracked);
    }

    /// <summary>Number of channels.</summary>
    public long Features { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Weight of the current batch in the running statistics.</summary>
    public double Momentum { get; }

    /// <summary>Whether ReLU follows the normalisation.</summary>
    public bool Relu { get; }

    /// <summary>
    /// The ranks whose slices this layer normalises together in training mode (synchronised BatchNorm,
    /// <see cref="Distributed.SynchronizedBatchNorm"/>), or null for the statistics of this process's input alone.
    /// </summary>
    public Distributed.ICollective? Synchronization { get; set; }

    /// <summary>The scale γ (for the ONNX export).</summary>
    internal Tensor Weight => weight;

    /// <summary>The shift β (for the ONNX export).</summary>
    internal Tensor Bias => bias;

    /// <summary>The running mean (for the ONNX export).</summary>
    internal Tensor RunningMean => running_mean;

    /// <summary>The running variance (for the ONNX export).</summary>
    internal Tensor RunningVar => running_var;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 4)
            throw new ArgumentException($"BatchNorm2d expects a 4-D input (N, C, H, W), got {input.ndim}-D");
        if (training)
            using (no_grad())
                num_batches_tracked.add_(Scalars.One, Scalars.One);
        if (training && Synchronization is { Size: > 1 } ranks)
            return WithRelu(Distributed.SynchronizedBatchNorm.Forward(input, running_mean, running_var, weight, bias, Momentum, Eps, ranks));
        if (training && Relu && BatchNormReluFunction.Accepts(input, weight, bias, running_mean, running_var))
            return BatchNormReluFunction.Apply(input, weight, bias, running_mean, running_var, Momentum, Eps);
        return WithRelu(nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, Momentum, Eps));
    }

    private Tensor WithRelu(Tensor output)
    {
        if (!Relu)
            return output;
        using (output)
            return nn.functional.relu(output);
    }
}
