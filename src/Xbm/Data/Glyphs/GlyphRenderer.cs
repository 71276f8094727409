using SkiaSharp;

namespace Xbm.Data.Glyphs;

/// <summary>
/// Renders one character of one instance as a grayscale PNG: white ink on black, the glyph's outline scaled so
/// that its ink box's longer side fills a share of the image, centred by its ink box, with the image's seeded
/// variation of size, position and stroke. Deterministic: the same inputs give the same bytes. Not thread-safe:
/// use one renderer per thread.
/// </summary>
public sealed class GlyphRenderer : IDisposable
{
    private const float OutlineSize = 256;

    private readonly SKSurface _surface;
    private readonly SKBitmap _gray;
    private readonly SKPaint _paint;
    private readonly Dictionary<SKTypeface, SKFont> _fonts = [];

    /// <summary>Creates a renderer of <paramref name="size"/>×<paramref name="size"/> images.</summary>
    public GlyphRenderer(int size, GlyphAugmentation augmentation)
    {
        if (size < 8 || size > 1024)
            throw new ArgumentException($"--size: {size} is out of range [8, 1024]");
        ArgumentNullException.ThrowIfNull(augmentation);
        augmentation.Validate();
        Size = size;
        Augmentation = augmentation;
        _surface = SKSurface.Create(new SKImageInfo(size, size, SKColorType.Alpha8, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("SkiaSharp could not create an 8-bit raster surface");
        _gray = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
        _paint = new SKPaint { IsAntialias = true, Color = SKColors.White, StrokeJoin = SKStrokeJoin.Round, StrokeCap = SKStrokeCap.Round };
    }

    /// <summary>The image side in pixels.</summary>
    public int Size { get; }

    /// <summary>The variation drawn per image.</summary>
    public GlyphAugmentation Augmentation { get; }

    /// <summary>Renders <paramref name="codePoint"/> in <paramref name="typeface"/> with the sequence <paramref name="random"/>; returns the PNG's bytes.</summary>
    /// <exception cref="ArgumentException">The typeface has no inked glyph for the character.</exception>
    public byte[] Render(SKTypeface typeface, int codePoint, GlyphRandom random)
    {
        Draw(typeface, codePoint, random);
        using var data = _gray.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode a PNG");
        return data.ToArray();
    }

    /// <summary>Renders into the internal buffer and returns the gray pixels (row-major, 0 = background).</summary>
    public byte[] RenderPixels(SKTypeface typeface, int codePoint, GlyphRandom random)
    {
        Draw(typeface, codePoint, random);
        return _gray.Bytes;
    }

    private void Draw(SKTypeface typeface, int codePoint, GlyphRandom random)
    {
        ArgumentNullException.ThrowIfNull(typeface);
        if (!_fonts.TryGetValue(typeface, out var font))
            _fonts[typeface] = font = new SKFont(typeface, OutlineSize) { Subpixel = true, Edging = SKFontEdging.Antialias };
        ushort glyph = font.GetGlyph(codePoint);
        using var path = glyph == 0 ? null : font.GetGlyphPath(glyph);
        if (path is null || path.IsEmpty)
            throw new ArgumentException($"{typeface.FamilyName} has no glyph for U+{codePoint:X4}");
        var bounds = path.TightBounds;
        float longer = Math.Max(bounds.Width, bounds.Height);
        if (!(longer > 0))
            throw new ArgumentException($"{typeface.FamilyName} has an empty glyph for U+{codePoint:X4}");

        var a = Augmentation;
        double scaleFactor = random.Uniform(1 - a.ScaleJitter, 1 + a.ScaleJitter);
        double dx = random.Uniform(-a.PositionJitter, a.PositionJitter) * Size;
        double dy = random.Uniform(-a.PositionJitter, a.PositionJitter) * Size;
        double stroke = random.Uniform(0, a.MaxStroke) * Size;
        float scale = (float)(a.Fill * scaleFactor * Size / longer);

        var canvas = _surface.Canvas;
        canvas.Clear(SKColors.Transparent);
        canvas.ResetMatrix();
        canvas.Translate((float)(Size / 2.0 + dx), (float)(Size / 2.0 + dy));
        canvas.Scale(scale);
        canvas.Translate(-bounds.MidX, -bounds.MidY);
        _paint.Style = stroke > 0 ? SKPaintStyle.StrokeAndFill : SKPaintStyle.Fill;
        _paint.StrokeWidth = (float)(stroke / scale);
        canvas.DrawPath(path, _paint);
        canvas.Flush();

        using var pixmap = _surface.PeekPixels();
        var alpha = pixmap.GetPixelSpan();
        var gray = _gray.GetPixelSpan();
        int rowBytes = pixmap.RowBytes;
        for (int y = 0; y < Size; y++)
            alpha.Slice(y * rowBytes, Size).CopyTo(gray.Slice(y * _gray.RowBytes, Size));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var font in _fonts.Values)
            font.Dispose();
        _fonts.Clear();
        _paint.Dispose();
        _gray.Dispose();
        _surface.Dispose();
    }
}
