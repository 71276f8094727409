namespace Xbm.Data.Images;

/// <summary>The channel order of the output tensor.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision models).</summary>
    Rgb,
    /// <summary>Blue, green, red (BN-Inception, Caffe models).</summary>
    Bgr,
}

/// <summary>
/// Preprocessing and augmentation (docs/design.md §6). Training: resize the shorter side to
/// <see cref="ResizeTo"/>, random resized crop to <see cref="CropSize"/> (area share in <see cref="ScaleMin"/>–
/// <see cref="ScaleMax"/>, aspect ratio in <see cref="RatioMin"/>–<see cref="RatioMax"/>), horizontal flip with
/// <see cref="FlipProbability"/>. Test: resize the shorter side, centre crop. Then value =
/// (pixel / 255 × <see cref="PixelRange"/> − mean) / std per output channel. Defaults: ImageNet (torchvision).
/// </summary>
public sealed record ImageTransformOptions
{
    /// <summary>ImageNet mean (R, G, B) on the 0–1 scale.</summary>
    public static readonly IReadOnlyList<double> ImageNetMean = [0.485, 0.456, 0.406];

    /// <summary>ImageNet standard deviation (R, G, B) on the 0–1 scale.</summary>
    public static readonly IReadOnlyList<double> ImageNetStd = [0.229, 0.224, 0.225];

    /// <summary>The torchvision/ImageNet preset: RGB, 0–1, ImageNet mean and std, resize 256, crop 224.</summary>
    public static ImageTransformOptions ImageNet { get; } = new();

    /// <summary>The BN-Inception preset (the common PyTorch port): BGR, 0–255, mean (104, 117, 128), std 1, resize 256, crop 227.</summary>
    public static ImageTransformOptions BnInception { get; } = new()
    {
        CropSize = 227,
        ChannelOrder = ChannelOrder.Bgr,
        PixelRange = 255,
        Mean = [104, 117, 128],
        Std = [1, 1, 1],
    };

    /// <summary>Shorter side after resizing, before cropping (0: no resize).</summary>
    public int ResizeTo { get; init; } = 256;

    /// <summary>Side of the square output.</summary>
    public int CropSize { get; init; } = 224;

    /// <summary>Training: resize the shorter side to <see cref="ResizeTo"/> before the random crop (docs/design.md §6); false crops the original.</summary>
    public bool ResizeBeforeRandomCrop { get; init; } = true;

    /// <summary>Training: random resized crop (true) or centre crop (false, flip only).</summary>
    public bool RandomResizedCrop { get; init; } = true;

    /// <summary>Smallest share of the area a random crop covers.</summary>
    public double ScaleMin { get; init; } = 0.2;

    /// <summary>Largest share of the area a random crop covers.</summary>
    public double ScaleMax { get; init; } = 1.0;

    /// <summary>Smallest width/height ratio of a random crop.</summary>
    public double RatioMin { get; init; } = 3.0 / 4.0;

    /// <summary>Largest width/height ratio of a random crop.</summary>
    public double RatioMax { get; init; } = 4.0 / 3.0;

    /// <summary>Training: probability of a horizontal flip.</summary>
    public double FlipProbability { get; init; } = 0.5;

    /// <summary>Crop each image to its bounding box (when the manifest has one) before anything else.</summary>
    public bool UseBoundingBox { get; init; }

    /// <summary>Output channel order.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Pixel scale before normalisation: 1 gives values in 0–1 (torchvision), 255 keeps 0–255 (BN-Inception).</summary>
    public double PixelRange { get; init; } = 1.0;

    /// <summary>Mean per output channel, on the <see cref="PixelRange"/> scale.</summary>
    public IReadOnlyList<double> Mean { get; init; } = ImageNetMean;

    /// <summary>Standard deviation per output channel, on the <see cref="PixelRange"/> scale.</summary>
    public IReadOnlyList<double> Std { get; init; } = ImageNetStd;

    /// <summary>Fails naming the first invalid option.</summary>
    public void Validate()
    {
        if (ResizeTo < 0)
            throw new ArgumentException($"resize must be 0 (none) or positive, got {ResizeTo}");
        if (CropSize <= 0)
            throw new ArgumentException($"image size (crop) must be positive, got {CropSize}");
        if (!(ScaleMin > 0 && ScaleMin <= ScaleMax && ScaleMax <= 1))
            throw new ArgumentException($"crop scale must satisfy 0 < min <= max <= 1, got ({ScaleMin}, {ScaleMax})");
        if (!(RatioMin > 0 && RatioMin <= RatioMax))
            throw new ArgumentException($"crop ratio must satisfy 0 < min <= max, got ({RatioMin}, {RatioMax})");
        if (!(FlipProbability >= 0 && FlipProbability <= 1))
            throw new ArgumentException($"flip probability must be in [0, 1], got {FlipProbability}");
        if (!(PixelRange > 0))
            throw new ArgumentException($"pixel range must be positive, got {PixelRange}");
        if (Mean.Count != 3 || Std.Count != 3)
            throw new ArgumentException($"mean and std need three values each, got {Mean.Count} and {Std.Count}");
        if (Std.Any(s => !(s > 0)))
            throw new ArgumentException("std values must be positive");
    }
}
