using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// The channels-last (NHWC) memory layout. A convolution whose weight is channels-last writes channels-last
/// activations, and BatchNorm, ReLU and pooling after it then run their channels-last kernels (oneDNN or libtorch's own on CPU, cuDNN
/// on GPU) without layout conversions. Shapes and values are those of the default layout, and results agree up to
/// float rounding; only the strides differ. The small CNN's training step is about 20 % faster on one CPU thread
/// (docs/benchmarks.md, "Channels-last layout"). TorchSharp has no <c>memory_format</c> argument, hence this class.
/// Optimizer moments made from such weights share the layout; <see cref="Training.OptimizerStateLayout"/> lets
/// TorchSharp's optimizer serialisation (which needs contiguous tensors) save and load them.
/// </summary>
public static class ChannelsLast
{
    /// <summary>Applies channels-last to a backbone when its options ask for it.</summary>
    /// <remarks>
    /// Both libtorch's oneDNN kernels and its own (where <see cref="Runtime.OneDnnGuard"/> switched oneDNN off) agree
    /// with float64 references in channels-last as in NCHW (ChannelsLastTests). Without oneDNN the demo model's step
    /// is 1.5 × faster in channels-last (docs/benchmarks.md, issue 18). An earlier measurement that found libtorch's own
    /// channels-last weight gradient 0.6 % off was ResNet-18 with BatchNorm training over 2 × 2 maps, where float32
    /// differs from float64 by 1e-5 to 0.23 depending on the seed in either layout: it measured the conditioning.
    /// </remarks>
    public static void ApplyIfRequested(nn.Module module, bool requested)
    {
        if (requested)
            Apply(module);
    }

    /// <summary>
    /// Rewrites every 4-D parameter and buffer of <paramref name="module"/> in channels-last strides, in place: the
    /// same Parameter objects (so references to them stay valid), same shapes and values, new strides. Idempotent.
    /// </summary>
    public static void Apply(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var tensor in module.parameters().Cast<Tensor>().Concat(module.buffers()))
        {
            // Exact strides, not Is: a weight with one input channel (a first convolution on grey images) passes Is
            // with its default strides, but libtorch reads NCHW from them and makes that convolution's output NCHW.
            if (tensor.dim() != 4 || tensor.stride().SequenceEqual(Strides(tensor.shape)))
                continue;
            using var copy = empty_strided(tensor.shape, Strides(tensor.shape), dtype: tensor.dtype, device: tensor.device);
            copy.copy_(tensor);
            tensor.set_(copy); // tensor now shares the copy's storage and strides
        }
    }

    /// <summary>Whether <paramref name="tensor"/> is a 4-D tensor laid out channels-last (NHWC strides).</summary>
    public static bool Is(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 4)
            return false;
        var shape = tensor.shape;
        var strides = tensor.stride();
        var expected = Strides(shape);
        // Dimensions of size 1 may have any stride, as in PyTorch's own check.
        for (int i = 0; i < 4; i++)
            if (shape[i] != 1 && strides[i] != expected[i])
                return false;
        return true;
    }

    /// <summary>The channels-last strides of an N×C×H×W shape: C fastest, then W, then H, then N.</summary>
    public static long[] Strides(long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length != 4)
            throw new ArgumentException($"channels-last needs a 4-D shape, got [{string.Join(", ", shape)}]", nameof(shape));
        long c = shape[1], h = shape[2], w = shape[3];
        return [c * h * w, 1, w * c, c];
    }
}
