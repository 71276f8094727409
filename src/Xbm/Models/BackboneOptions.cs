namespace Xbm.Models;

/// <summary>Options shared by the image backbones (config keys in brackets).</summary>
public sealed record BackboneOptions
{
    /// <summary>Global pooling of the last feature map [pooling]; null uses the backbone's default (max for ResNet, avg otherwise).</summary>
    public GlobalPoolingKind? Pooling { get; init; }

    /// <summary>Keep every BatchNorm layer in eval mode while training, so running statistics never change [freeze_bn].</summary>
    public bool FreezeBatchNormStatistics { get; init; }

    /// <summary>Also stop gradients to the BatchNorm scale and shift [freeze_bn_affine].</summary>
    public bool FreezeBatchNormAffine { get; init; }

    /// <summary>Freeze the first N stages (no gradients, eval mode) [frozen_stages]; 0 freezes nothing.</summary>
    public int FrozenStages { get; init; }

    /// <summary>
    /// GoogLeNet and BN-Inception: accept ImageNet-normalised RGB input and convert it inside the network to what
    /// the pretrained weights were trained on [transform_input]. Default true.
    /// </summary>
    public bool TransformInput { get; init; } = true;

    /// <summary>
    /// Lay the convolution weights out channels-last (NHWC) [channels_last], so that activations follow: same
    /// results up to float rounding, faster convolutions, BatchNorm and pooling (<see cref="Models.ChannelsLast"/>).
    /// Default true.
    /// </summary>
    public bool ChannelsLast { get; init; } = true;

    /// <summary>
    /// ResNet only: blocks per stage (layer1–layer4) instead of the depth's own ([2, 2, 2, 2] for 18, [3, 4, 6, 3]
    /// for 34 and 50) [blocks]. CNTK's ResNet-18 (the ONNX model of Microsoft.ML.DnnImageFeaturizer.ResNet18) has
    /// [2, 2, 2, 3]; extra blocks are named on as torchvision would (layer4.2.conv1.weight, …). Null keeps the depth's.
    /// </summary>
    public IReadOnlyList<int>? Blocks { get; init; }
}
