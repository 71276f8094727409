using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>
/// A small VGG-style CNN for 28×28 grey images (Fashion-MNIST): three stages of 3×3 convolutions with
/// BatchNorm and ReLU, max pooling between stages, global pooling at the end (average by default).
/// </summary>
public sealed class SmallCnn : Backbone
{
    private readonly Sequential features;
    private readonly nn.Module<Tensor, Tensor>[] _layers; // features' modules, set after registration (not registered again)
    private readonly GlobalPooling pool;
    private readonly long _featureDimension;
    private readonly long _inputChannels;

    /// <summary>Creates the network; <paramref name="width"/> is the first stage's channel count (doubled per stage).</summary>
    public SmallCnn(long inputChannels = 1, long width = 32, BackboneOptions? options = null) : base(nameof(SmallCnn))
    {
        if (width <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), width, "width must be positive");
        options ??= new BackboneOptions();
        long w1 = width, w2 = width * 2, w3 = width * 4;
        features = Sequential(
            ("conv1", Conv2d(inputChannels, w1, 3, padding: 1, bias: false)), ("bn1", new BatchNorm2d(w1, relu: true)),
            ("conv2", Conv2d(w1, w1, 3, padding: 1, bias: false)), ("bn2", new BatchNorm2d(w1, relu: true)),
            ("pool1", MaxPool2d(2)),
            ("conv3", Conv2d(w1, w2, 3, padding: 1, bias: false)), ("bn3", new BatchNorm2d(w2, relu: true)),
            ("conv4", Conv2d(w2, w2, 3, padding: 1, bias: false)), ("bn4", new BatchNorm2d(w2, relu: true)),
            ("pool2", MaxPool2d(2)),
            ("conv5", Conv2d(w2, w3, 3, padding: 1, bias: false)), ("bn5", new BatchNorm2d(w3, relu: true)));
        pool = new GlobalPooling(options.Pooling ?? GlobalPoolingKind.Average);
        _featureDimension = w3;
        _inputChannels = inputChannels;
        RegisterComponents();
        _layers = features.children().Cast<nn.Module<Tensor, Tensor>>().ToArray();
        ChannelsLast.ApplyIfRequested(this, options.ChannelsLast);
        ApplyFreezing(options);
    }

    /// <inheritdoc />
    public override long FeatureDimension => _featureDimension;

    /// <summary>The global pooling in use.</summary>
    public GlobalPoolingKind Pooling => pool.Kind;

    /// <summary>Pixels in [0, 1] as they are (mean 0, std 1 per channel), 28×28 ("GREY" for one channel).</summary>
    public override InputSpec Input => new(_inputChannels == 1 ? "GREY" : "RGB", 1,
        Enumerable.Repeat(0.0, (int)_inputChannels).ToArray(), Enumerable.Repeat(1.0, (int)_inputChannels).ToArray(), 28, 28);

    /// <inheritdoc />
    /// <remarks>
    /// Grey images that need no gradient go through the first convolution on the host
    /// (<see cref="ImageConvolutionFunction"/>), the rest through the layers as they are.
    /// </remarks>
    public override Tensor ForwardFeatures(Tensor input)
    {
        if (!ImageConvolutionFunction.Accepts(input, _layers[0]))
            return features.forward(input);
        var x = ImageConvolutionFunction.Apply(input, ((Conv2d)_layers[0]).weight!);
        for (int i = 1; i < _layers.Length; i++)
        {
            var next = _layers[i].call(x);
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var map = ForwardFeatures(input);
        return pool.forward(map);
    }
}
