using Xbm.Data;
using Xbm.Data.Images;
using static TorchSharp.torch;

namespace Xbm.Reporting;

/// <summary>
/// Turns image files given on the command line into model inputs with a run's test-time preprocessing: the
/// transform of a file-backed set (resize, centre crop, normalisation), or, for an in-memory set such as
/// Fashion-MNIST, the image's grey levels (it must have the set's size, e.g. 28×28) with the set's normalisation.
/// </summary>
public static class QueryImages
{
    /// <summary>
    /// Loads <paramref name="paths"/> as one float32 N×C×H×W batch preprocessed like <paramref name="like"/>'s
    /// images at test time. Errors name the file.
    /// </summary>
    public static Tensor Load(IReadOnlyList<string> paths, IImageSet like)
    {
        using var scope = NewDisposeScope();
        var images = paths.Select(p => Load(p, like)).ToArray();
        return cat(images, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Loads one image file as a 1×C×H×W batch preprocessed like <paramref name="like"/>'s images at test time.</summary>
    public static Tensor Load(string path, IImageSet like)
    {
        var image = ImageDecoder.Decode(path);
        switch (like)
        {
            case FileImageSet files:
            {
                var values = files.Transform.Apply(image, null, augment: false, random: null);
                return tensor(values, new long[] { 1, 3, files.Transform.Size, files.Transform.Size });
            }
            case TensorImageSet tensors:
            {
                if (image.Width != tensors.Width || image.Height != tensors.Height)
                    throw new InvalidDataException($"{path}: the image is {image.Width}×{image.Height}; this run's images are {tensors.Width}×{tensors.Height} (resize it first)");
                if (tensors.Channels is not (1 or 3))
                    throw new InvalidDataException($"{path}: this run's images have {tensors.Channels} channels; only grey (1) and RGB (3) are supported");
                int plane = image.Width * image.Height;
                var raw = new byte[tensors.Channels * plane];
                var px = image.Pixels;
                for (int i = 0; i < plane; i++)
                {
                    if (tensors.Channels == 1)
                        raw[i] = Luma(px[3 * i], px[3 * i + 1], px[3 * i + 2]);
                    else
                        for (int c = 0; c < 3; c++)
                            raw[c * plane + i] = px[3 * i + c];
                }
                using var scope = NewDisposeScope();
                var pixels = tensor(raw, new long[] { 1, tensors.Channels, image.Height, image.Width });
                using var one = new TensorImageSet(pixels, new long[] { 0 }, tensors.Normalization);
                return one.Load(new[] { 0 }, augment: false, seed: 0).MoveToOuterDisposeScope();
            }
            default:
                throw new NotSupportedException($"{path}: searching by image file is not supported for a {like.GetType().Name} dataset (file datasets and Fashion-MNIST are)");
        }
    }

    /// <summary>Grey level of an RGB pixel as PIL's convert("L") computes it (ITU-R 601 luma in 16-bit fixed point); grey stays grey.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}
