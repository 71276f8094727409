using TorchSharp;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

/// <summary>transform_input: ImageNet-normalised RGB converted inside the network equals feeding the converted input directly.</summary>
public class InputTransformTests
{
    [Fact]
    public void BnInceptionConvertsImageNetRgbToCaffeBgr()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var raw = new BnInception(new BackboneOptions { TransformInput = false });
        using var transformed = new BnInception();
        transformed.load_state_dict(raw.state_dict());
        raw.eval();
        transformed.eval();

        manual_seed(6);
        var pixels = rand(2, 3, 64, 64); // RGB in [0, 1]
        var imagenet = (pixels - tensor(new[] { 0.485f, 0.456f, 0.406f }).view(1, 3, 1, 1)) / tensor(new[] { 0.229f, 0.224f, 0.225f }).view(1, 3, 1, 1);
        using var maximum = 255.ToScalar();
        var caffe = pixels.flip(1).mul(maximum) - tensor(new[] { 104f, 117f, 128f }).view(1, 3, 1, 1);

        using var noGrad = no_grad();
        var expected = raw.ForwardFeatures(caffe);
        var actual = transformed.ForwardFeatures(imagenet);
        double scale = expected.abs().max().item<float>();
        Assert.True((actual - expected).abs().max().item<float>() <= 1e-4 * scale);
        Assert.Equal(InputSpec.CaffeBgr, raw.Input);
        Assert.Equal(227, transformed.Input.CropSize);
        Assert.Equal("RGB", transformed.Input.ChannelOrder);
    }

    [Fact]
    public void BnInceptionAtCrop227EndsWithASevenBySevenMap()
    {
        using var scope = NewDisposeScope();
        using var backbone = new BnInception();
        backbone.eval();
        using var noGrad = no_grad();
        var map = backbone.ForwardFeatures(zeros(1, 3, 227, 227));
        Assert.Equal(new long[] { 1, 1024, 7, 7 }, map.shape);
        Assert.Equal(new long[] { 1, 1024 }, backbone.forward(zeros(1, 3, 227, 227)).shape);
    }

    [Fact]
    public void GoogLeNetWithoutTransformExpectsHalfNormalisation()
    {
        using var backbone = new GoogLeNet(new BackboneOptions { TransformInput = false });
        Assert.Equal(new[] { 0.5, 0.5, 0.5 }, backbone.Input.Mean);
        Assert.Equal(InputSpec.ImageNet, new GoogLeNet().Input);
    }
}
