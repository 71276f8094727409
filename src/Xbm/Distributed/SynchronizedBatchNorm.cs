using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Distributed;

/// <summary>
/// Batch normalisation in training mode over the whole batch of every rank (docs/design.md §10): the per-channel
/// mean and variance are those of the global batch, so a model whose BatchNorm layers train gives the same
/// activations, gradients and running statistics as one process with the whole batch. Two differentiable
/// all-reduces per layer (the sums, then the squared deviations from the global mean), in the forward pass and
/// again in the backward pass. Every rank's slice must have the same number of images.
/// </summary>
public static class SynchronizedBatchNorm
{
    /// <summary>
    /// Normalises <paramref name="input"/> (n × C × H × W) with the statistics of the ranks' inputs together, scales by
    /// <paramref name="weight"/> and shifts by <paramref name="bias"/>, and updates the running statistics in place as
    /// torch.nn.functional.batch_norm does (the running variance unbiased).
    /// </summary>
    public static Tensor Forward(Tensor input, Tensor runningMean, Tensor runningVariance, Tensor weight, Tensor bias,
        double momentum, double eps, ICollective collective)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(collective);
        long channels = input.shape[1];
        long count = input.shape[0] * input.shape[2] * input.shape[3] * collective.Size;
        if (count < 2)
            throw new ArgumentException($"batch normalisation needs more than one value per channel over the ranks, got {count}");
        var shape = new long[] { 1, channels, 1, 1 };
        var dimensions = new long[] { 0, 2, 3 };
        using var total = ((double)count).ToScalar();
        var mean = AllReduceSumFunction.Sum(input.sum(dimensions), collective).div(total);
        var centered = input.sub(mean.view(shape));
        var variance = AllReduceSumFunction.Sum(centered.mul(centered).sum(dimensions), collective).div(total);
        using var epsilon = eps.ToScalar();
        var output = centered.mul(variance.add(epsilon, Scalars.One).rsqrt().view(shape)).mul(weight.view(shape)).add(bias.view(shape), Scalars.One);
        using (no_grad())
        {
            using var keep = (1 - momentum).ToScalar();
            using var take = momentum.ToScalar();
            using var unbiased = ((double)count / (count - 1) * momentum).ToScalar();
            runningMean.mul_(keep).add_(mean.detach(), take);
            runningVariance.mul_(keep).add_(variance.detach(), unbiased);
        }
        return output;
    }
}
