namespace Xbm.Data;

/// <summary>
/// Training augmentation for small in-memory images (e.g. Fashion-MNIST's 28×28): a random crop after zero
/// padding, then an optional horizontal flip (torchvision's RandomCrop(size, padding) then
/// RandomHorizontalFlip(0.5)). Padding pixels have the raw value 0 (black), i.e. they are normalised like a
/// black pixel.
/// </summary>
public sealed record TensorAugmentation
{
    /// <summary>
    /// Zero padding added on every side before cropping back to the original size, in pixels (0 = no crop).
    /// Default 2: shifts of up to ±2 pixels, about 7% of a 28-pixel side (our choice; CIFAR's usual 4 on 32
    /// pixels would cut into Fashion-MNIST's tightly framed items).
    /// </summary>
    public int CropPadding { get; init; } = 2;

    /// <summary>
    /// Mirror left–right with probability 0.5. Off by default for Fashion-MNIST: its items are centred and
    /// mostly symmetric, and a flip adds little (our choice; turn it on for photographs).
    /// </summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>No augmentation: no crop, no flip.</summary>
    public static TensorAugmentation None { get; } = new() { CropPadding = 0, HorizontalFlip = false };

    /// <summary>Throws when an option is out of range for images of the given size.</summary>
    public void Validate(int height, int width)
    {
        if (CropPadding < 0)
            throw new ArgumentException($"crop padding must be at least 0, got {CropPadding}");
        if (CropPadding > Math.Max(height, width))
            throw new ArgumentException($"crop padding {CropPadding} is larger than the image ({height}×{width})");
    }

    /// <summary>
    /// Draws the parameters for one image: the crop's offsets into the padded image, each uniform in
    /// [0, 2·padding], then (if enabled) the flip coin, in that order.
    /// </summary>
    public CropFlip Draw(Runtime.SeededRandom random)
    {
        int span = 2 * CropPadding + 1;
        int top = random.Next(span);
        int left = random.Next(span);
        bool flip = HorizontalFlip && random.Next(2) == 1;
        return new CropFlip(top - CropPadding, left - CropPadding, flip);
    }
}

/// <summary>
/// The drawn augmentation of one image: output pixel (y, x) reads input pixel (y + <paramref name="ShiftY"/>,
/// x' + <paramref name="ShiftX"/>) with x' = x, or W − 1 − x when flipped; outside the input it reads 0.
/// </summary>
/// <param name="ShiftY">Vertical offset of the crop window relative to the unpadded image.</param>
/// <param name="ShiftX">Horizontal offset of the crop window relative to the unpadded image.</param>
/// <param name="Flip">Mirror the cropped image left–right.</param>
public readonly record struct CropFlip(int ShiftY, int ShiftX, bool Flip)
{
    /// <summary>The identity: no shift, no flip.</summary>
    public static CropFlip Identity => new(0, 0, false);
}
