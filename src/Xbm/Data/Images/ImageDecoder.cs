using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Xbm.Data.Images;

/// <summary>
/// Decodes JPEG, PNG (and the other formats Skia reads: BMP, GIF, WebP) to <see cref="RgbImage"/> with
/// SkiaSharp: grey images become three equal channels, alpha is dropped (as PIL's <c>convert("RGB")</c>),
/// EXIF orientation is ignored (as torchvision's PIL loader). Truncated files are errors.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes the image file at <paramref name="path"/>; errors are <see cref="InvalidDataException"/>s naming the file.</summary>
    public static RgbImage Decode(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"image not found: {path}", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes encoded image bytes; <paramref name="source"/> names them in messages.</summary>
    public static RgbImage Decode(byte[] encoded, string source)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException($"{source}: cannot decode: not a JPEG, PNG, BMP, GIF or WebP image, or cut short ({encoded.Length} bytes)");
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{source}: image has no pixels ({width}x{height})");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        byte[] rgba = ArrayPool<byte>.Shared.Rent(info.BytesSize);
        try
        {
            var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            SKCodecResult result;
            try
            {
                result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }
            if (result != SKCodecResult.Success)
                throw new InvalidDataException($"{source}: cannot decode: {(result == SKCodecResult.IncompleteInput ? "the file is cut short" : result.ToString())}");
            var rgb = new byte[width * height * 3];
            for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
            {
                rgb[j] = rgba[i];
                rgb[j + 1] = rgba[i + 1];
                rgb[j + 2] = rgba[i + 2];
            }
            return new RgbImage(width, height, rgb);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    /// <summary>Encodes an image as PNG (lossless; for tests, fixtures and previews).</summary>
    public static byte[] EncodePng(RgbImage image) => Encode(image, SKEncodedImageFormat.Png, 100);

    /// <summary>Encodes an image as JPEG at <paramref name="quality"/> (0–100).</summary>
    public static byte[] EncodeJpeg(RgbImage image, int quality = 90) => Encode(image, SKEncodedImageFormat.Jpeg, quality);

    private static byte[] Encode(RgbImage image, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var span = bitmap.GetPixelSpan();
        var px = image.Pixels;
        for (int i = 0, j = 0; j < px.Length; i += 4, j += 3)
        {
            span[i] = px[j];
            span[i + 1] = px[j + 1];
            span[i + 2] = px[j + 2];
            span[i + 3] = 255;
        }
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"Skia could not encode {format}");
        return data.ToArray();
    }
}
