namespace Xbm.Data.Images;

/// <summary>An 8-bit RGB image, row-major, three interleaved bytes per pixel (what PIL's <c>convert("RGB")</c> gives).</summary>
public sealed class RgbImage
{
    /// <summary>Creates an image over <paramref name="pixels"/> (length width × height × 3).</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"expected {width * height * 3} bytes for {width}x{height} RGB, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Creates a black image.</summary>
    public RgbImage(int width, int height) : this(width, height, new byte[checked(width * height * 3)]) { }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels: (y × Width + x) × 3 + channel, channels R, G, B.</summary>
    public byte[] Pixels { get; }

    /// <summary>The value of channel <paramref name="c"/> (0 R, 1 G, 2 B) at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public byte this[int x, int y, int c] => Pixels[(y * Width + x) * 3 + c];

    /// <summary>A copy of the integer rectangle (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/>, <paramref name="height"/>), which must lie inside the image.</summary>
    public RgbImage Crop(int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > Width || top + height > Height)
            throw new ArgumentOutOfRangeException(nameof(left), $"crop ({left}, {top}, {width}x{height}) is outside the {Width}x{Height} image");
        if (left == 0 && top == 0 && width == Width && height == Height)
            return this;
        var result = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            Array.Copy(Pixels, ((top + y) * Width + left) * 3, result, y * width * 3, width * 3);
        return new RgbImage(width, height, result);
    }
}
