using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Models;

/// <summary>
/// A small VGG-style CNN for 28×28 grey images (Fashion-MNIST): three stages of 3×3 convolutions with
/// BatchNorm and ReLU, max pooling between stages, global average pooling at the end.
/// </summary>
public sealed class SmallCnn : Backbone
{
    private readonly Sequential features;
    private readonly long _featureDimension;

    /// <summary>Creates the network; <paramref name="width"/> is the first stage's channel count (doubled per stage).</summary>
    public SmallCnn(long inputChannels = 1, long width = 32) : base(nameof(SmallCnn))
    {
        if (width <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), width, "width must be positive");
        long w1 = width, w2 = width * 2, w3 = width * 4;
        features = Sequential(
            ("conv1", Conv2d(inputChannels, w1, 3, padding: 1, bias: false)), ("bn1", BatchNorm2d(w1)), ("relu1", ReLU()),
            ("conv2", Conv2d(w1, w1, 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(w1)), ("relu2", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("conv3", Conv2d(w1, w2, 3, padding: 1, bias: false)), ("bn3", BatchNorm2d(w2)), ("relu3", ReLU()),
            ("conv4", Conv2d(w2, w2, 3, padding: 1, bias: false)), ("bn4", BatchNorm2d(w2)), ("relu4", ReLU()),
            ("pool2", MaxPool2d(2)),
            ("conv5", Conv2d(w2, w3, 3, padding: 1, bias: false)), ("bn5", BatchNorm2d(w3)), ("relu5", ReLU()),
            ("pool", AdaptiveAvgPool2d(1)),
            ("flatten", Flatten()));
        _featureDimension = w3;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long FeatureDimension => _featureDimension;

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => features.forward(input);
}
