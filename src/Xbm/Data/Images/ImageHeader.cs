using SkiaSharp;

namespace Xbm.Data.Images;

/// <summary>
/// A cheap check of an image file without decoding its pixels: Skia must recognise the format and read a
/// non-empty size from the header, and a PNG must end with its IEND chunk, a JPEG with its end-of-image marker.
/// A file whose end marker is missing (cut short, or followed by other data) is decoded in full to decide.
/// </summary>
public static class ImageHeader
{
    private const int TailBytes = 1024;
    private static readonly byte[] PngEnd = "IEND"u8.ToArray();
    private static readonly byte[] JpegEnd = { 0xFF, 0xD9 };

    /// <summary>Why the image at <paramref name="path"/> cannot be read, or null when it looks readable.</summary>
    public static string? Problem(string path)
    {
        SKEncodedImageFormat format;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            long length = stream.Length;
            if (length == 0)
                return "the file is empty";
            using (var skStream = new SKManagedStream(stream, disposeManagedStream: false))
            using (var codec = SKCodec.Create(skStream))
            {
                if (codec is null)
                    return $"not a JPEG, PNG, BMP, GIF or WebP image, or cut short ({length} bytes)";
                if (codec.Info.Width <= 0 || codec.Info.Height <= 0)
                    return $"image has no pixels ({codec.Info.Width}x{codec.Info.Height})";
                format = codec.EncodedFormat;
            }
            byte[]? end = format switch
            {
                SKEncodedImageFormat.Png => PngEnd,
                SKEncodedImageFormat.Jpeg => JpegEnd,
                _ => null,
            };
            if (end is null || EndsWith(stream, length, end))
                return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
        // No end marker near the end: cut short, or trailing data after a complete image. Decoding decides.
        try
        {
            ImageDecoder.Decode(path);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            string message = e.Message;
            return message.StartsWith(path + ": ", StringComparison.Ordinal) ? message[(path.Length + 2)..] : message;
        }
    }

    private static bool EndsWith(FileStream stream, long length, byte[] marker)
    {
        int count = (int)Math.Min(TailBytes, length);
        var tail = new byte[count];
        stream.Seek(length - count, SeekOrigin.Begin);
        stream.ReadExactly(tail);
        return tail.AsSpan().LastIndexOf(marker) >= 0;
    }
}
