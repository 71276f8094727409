namespace Xbm.Models;

/// <summary>
/// What a backbone expects from the image loader: channel order, pixel scale, per-channel mean and standard
/// deviation (in that order and scale), and the sizes of the evaluation transform (resize the shorter side,
/// then centre crop; training crops to <see cref="CropSize"/> too). A pixel p in [0, 1] becomes
/// (p · <see cref="Scale"/> − mean) / std.
/// </summary>
/// <param name="ChannelOrder">"RGB", "BGR", or "GREY" (one channel).</param>
/// <param name="Scale">1 for pixels in [0, 1], 255 for [0, 255].</param>
/// <param name="Mean">Per-channel mean, in <paramref name="ChannelOrder"/> and on the <paramref name="Scale"/>.</param>
/// <param name="Std">Per-channel standard deviation, likewise.</param>
/// <param name="ResizeSize">Shorter side after resizing (256).</param>
/// <param name="CropSize">Side of the square crop (224; 227 for BN-Inception).</param>
public sealed record InputSpec(string ChannelOrder, double Scale, IReadOnlyList<double> Mean, IReadOnlyList<double> Std, int ResizeSize, int CropSize)
{
    /// <summary>torchvision's ImageNet normalisation: RGB in [0, 1], mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), 256 → 224.</summary>
    public static InputSpec ImageNet { get; } = new("RGB", 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 256, 224);

    /// <summary>The Caffe convention of BN-Inception: BGR in [0, 255], mean (104, 117, 128), std 1, 256 → 227.</summary>
    public static InputSpec CaffeBgr { get; } = new("BGR", 255, [104, 117, 128], [1, 1, 1], 256, 227);
}
