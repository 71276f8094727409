using System.Runtime.InteropServices;
using Xbm.Data;
using Xbm.Data.Images;
using static TorchSharp.torch;

namespace Xbm.Reporting;

/// <summary>
/// Square RGB thumbnails of a set's images for retrieval grids: image files are decoded, centre-cropped to a square
/// and resized (bilinear); in-memory images (Fashion-MNIST) are scaled up from their raw pixels (nearest, so pixels
/// stay sharp); any other set is rendered from its test-time tensor, stretched to the full grey range.
/// </summary>
public static class Thumbnails
{
    /// <summary>A <paramref name="size"/>×<paramref name="size"/> thumbnail of the image at <paramref name="position"/>; a grey placeholder when the file cannot be read.</summary>
    public static RgbImage Render(IImageSet set, int position, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if ((uint)position >= (uint)set.Count)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is outside the set's {set.Count} images");
        return set switch
        {
            FileImageSet files => FromFile(files.Entries[position].Path, size),
            TensorImageSet tensors => FromRaw(tensors, position, size),
            _ => FromTensor(set, position, size),
        };
    }

    /// <summary>A thumbnail of an image file (centre square, resized); a grey placeholder when it cannot be decoded.</summary>
    public static RgbImage FromFile(string path, int size)
    {
        RgbImage image;
        try
        {
            image = ImageDecoder.Decode(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return Placeholder(size);
        }
        int side = Math.Min(image.Width, image.Height);
        var square = image.Crop((image.Width - side) / 2, (image.Height - side) / 2, side, side);
        return Resampler.Resize(square, size, size);
    }

    /// <summary>A mid-grey square crossed by a darker diagonal: "image unavailable".</summary>
    public static RgbImage Placeholder(int size)
    {
        var pixels = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                byte v = Math.Abs(x - y) <= 1 || Math.Abs(x + y - size + 1) <= 1 ? (byte)96 : (byte)176;
                pixels.AsSpan((y * size + x) * 3, 3).Fill(v);
            }
        return new RgbImage(size, size, pixels);
    }

    private static RgbImage FromRaw(TensorImageSet set, int position, int size)
    {
        int h = set.Height, w = set.Width, c = set.Channels, plane = h * w;
        var image = set.Images.bytes.Slice(position * c * plane, c * plane);
        var pixels = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int source = (int)((long)y * h / size) * w + (int)((long)x * w / size);
                for (int k = 0; k < 3; k++)
                    pixels[(y * size + x) * 3 + k] = image[Math.Min(k, c - 1) * plane + source];
            }
        return new RgbImage(size, size, pixels);
    }

    private static RgbImage FromTensor(IImageSet set, int position, int size)
    {
        using var scope = NewDisposeScope();
        var batch = set.Load(new[] { position }, augment: false, seed: 0);
        if (batch.dim() != 4)
            return Placeholder(size);
        var image = batch[0].to(ScalarType.Float32).contiguous();
        int c = (int)image.shape[0], h = (int)image.shape[1], w = (int)image.shape[2], plane = h * w;
        var values = MemoryMarshal.Cast<byte, float>(image.bytes);
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        float scale = max > min ? 255f / (max - min) : 0f;
        var pixels = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int source = (int)((long)y * h / size) * w + (int)((long)x * w / size);
                for (int k = 0; k < 3; k++)
                    pixels[(y * size + x) * 3 + k] = (byte)Math.Clamp(MathF.Round((values[Math.Min(k, c - 1) * plane + source] - min) * scale), 0, 255);
            }
        return new RgbImage(size, size, pixels);
    }
}
