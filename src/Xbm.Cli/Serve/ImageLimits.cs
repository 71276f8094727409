using SkiaSharp;

namespace Xbm.Cli.Serve;

/// <summary>
/// The checks an image passes before it is decoded: Skia must recognise the format from the header, and the
/// width × height the header declares must stay within the pixel limit, so a decompression bomb (a small file
/// declaring a huge image) is refused without allocating its pixels.
/// </summary>
public static class ImageLimits
{
    /// <summary>The declared size of <paramref name="encoded"/>; throws an <see cref="ApiError"/> (400 not an image, 413 too many pixels) naming <paramref name="field"/>.</summary>
    public static (int Width, int Height) Check(byte[] encoded, long maxPixels, string field)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.Length == 0)
            throw new ApiError(400, field, $"{field}: the file is empty");
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new ApiError(400, field, $"{field}: not an image (JPEG, PNG, BMP, GIF or WebP), or cut short ({encoded.Length} bytes)");
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0)
            throw new ApiError(400, field, $"{field}: the image has no pixels ({width}×{height})");
        long pixels = (long)width * height;
        if (pixels > maxPixels)
            throw new ApiError(413, field, $"{field}: the image is {width}×{height} = {pixels} pixels; the limit is {maxPixels}");
        return (width, height);
    }
}
