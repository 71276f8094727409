namespace Xbm.Data.Images;

/// <summary>Options of <see cref="FileImageSet"/>.</summary>
public sealed record FileImageSetOptions
{
    /// <summary>Preprocessing and augmentation.</summary>
    public ImageTransformOptions Transform { get; init; } = ImageTransformOptions.ImageNet;

    /// <summary>Decoding threads per batch (1: the calling thread only).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Missing or corrupt images: fail (default) or skip (replaced by another image of the class).</summary>
    public BadImagePolicy OnBadImage { get; init; } = BadImagePolicy.Fail;

    /// <summary>Where warnings go (skipped images); standard error when null.</summary>
    public Action<string>? Log { get; init; }
}
