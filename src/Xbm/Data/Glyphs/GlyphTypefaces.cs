using SkiaSharp;

namespace Xbm.Data.Glyphs;

/// <summary>
/// The typefaces of the glyph table that are installed: opened from their files (the right face of a
/// collection), with those missing listed. Owns the SkiaSharp typefaces.
/// </summary>
public sealed class GlyphTypefaces : IDisposable
{
    private readonly Dictionary<GlyphFont, SKTypeface> _typefaces;

    private GlyphTypefaces(Dictionary<GlyphFont, SKTypeface> typefaces, IReadOnlyList<GlyphFont> found, IReadOnlyList<GlyphFont> missing, string root)
    {
        _typefaces = typefaces;
        Found = found;
        Missing = missing;
        Root = root;
    }

    /// <summary>The font root the files were looked up under.</summary>
    public string Root { get; }

    /// <summary>The instances whose file (and face) opened, in table order.</summary>
    public IReadOnlyList<GlyphFont> Found { get; }

    /// <summary>The instances whose file is missing or does not open.</summary>
    public IReadOnlyList<GlyphFont> Missing { get; }

    /// <summary>The number of distinct designs among <see cref="Found"/>.</summary>
    public int DesignCount => Found.Select(f => f.Design).Distinct().Count();

    /// <summary>The typeface of an instance in <see cref="Found"/>.</summary>
    public SKTypeface this[GlyphFont font] => _typefaces[font];

    /// <summary>The full path of an instance's file.</summary>
    public static string PathOf(GlyphFont font, string root) => Path.Combine(root, font.File);

    /// <summary>Opens the instances of <paramref name="fonts"/> found under <paramref name="root"/>.</summary>
    public static GlyphTypefaces Open(IEnumerable<GlyphFont> fonts, string root = GlyphFonts.DefaultRoot)
    {
        var typefaces = new Dictionary<GlyphFont, SKTypeface>();
        var found = new List<GlyphFont>();
        var missing = new List<GlyphFont>();
        foreach (var font in fonts)
        {
            string path = PathOf(font, root);
            var typeface = File.Exists(path) ? SKTypeface.FromFile(path, font.FaceIndex) : null;
            if (typeface is null)
            {
                missing.Add(font);
                continue;
            }
            typefaces[font] = typeface;
            found.Add(font);
        }
        return new GlyphTypefaces(typefaces, found, missing, root);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var typeface in _typefaces.Values)
            typeface.Dispose();
        _typefaces.Clear();
    }
}
