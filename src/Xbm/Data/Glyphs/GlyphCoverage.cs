using SkiaSharp;

namespace Xbm.Data.Glyphs;

/// <summary>
/// Which CJK Unified Ideographs (U+4E00–U+9FFF) each installed instance draws, and so which characters enough
/// designs cover. A character counts as drawn only when the font maps it to a glyph (not .notdef), the glyph has
/// ink (some fonts map characters they lack to an empty glyph), and the glyph is not a placeholder shared by more
/// than two characters.
/// </summary>
public sealed class GlyphCoverage
{
    /// <summary>The first code point considered (U+4E00).</summary>
    public const int First = 0x4E00;

    /// <summary>The last code point considered (U+9FFF).</summary>
    public const int Last = 0x9FFF;

    private const int MaxSharing = 2;

    private readonly Dictionary<GlyphFont, HashSet<int>> _covered;

    private GlyphCoverage(Dictionary<GlyphFont, HashSet<int>> covered) => _covered = covered;

    /// <summary>Measures the coverage of every instance in <paramref name="typefaces"/> (in parallel over instances).</summary>
    public static GlyphCoverage Measure(GlyphTypefaces typefaces, int workers = 0)
    {
        ArgumentNullException.ThrowIfNull(typefaces);
        var sets = new HashSet<int>[typefaces.Found.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = workers > 0 ? workers : Environment.ProcessorCount };
        Parallel.For(0, typefaces.Found.Count, parallel, i => sets[i] = Covered(typefaces[typefaces.Found[i]]));
        return new GlyphCoverage(typefaces.Found.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => sets[p.i]));
    }

    /// <summary>Whether <paramref name="font"/> draws <paramref name="codePoint"/>.</summary>
    public bool Covers(GlyphFont font, int codePoint) => _covered.TryGetValue(font, out var set) && set.Contains(codePoint);

    /// <summary>How many characters <paramref name="font"/> draws.</summary>
    public int Count(GlyphFont font) => _covered.TryGetValue(font, out var set) ? set.Count : 0;

    /// <summary>The instances measured, in table order.</summary>
    public IEnumerable<GlyphFont> Fonts => _covered.Keys;

    /// <summary>The instances that draw <paramref name="codePoint"/>, in table order.</summary>
    public IReadOnlyList<GlyphFont> InstancesOf(int codePoint) => _covered.Where(p => p.Value.Contains(codePoint)).Select(p => p.Key).ToList();

    /// <summary>The number of distinct designs with at least one instance drawing <paramref name="codePoint"/>.</summary>
    public int DesignsOf(int codePoint) => _covered.Where(p => p.Value.Contains(codePoint)).Select(p => p.Key.Design).Distinct().Count();

    /// <summary>The characters at least <paramref name="minDesigns"/> designs draw, in code point order.</summary>
    public IReadOnlyList<int> Eligible(int minDesigns)
    {
        var byDesign = _covered.GroupBy(p => p.Key.Design)
            .Select(g => g.Aggregate(new HashSet<int>(), (all, p) => { all.UnionWith(p.Value); return all; }))
            .ToList();
        var eligible = new List<int>();
        for (int c = First; c <= Last; c++)
        {
            int designs = 0;
            foreach (var set in byDesign)
                if (set.Contains(c))
                    designs++;
            if (designs >= minDesigns)
                eligible.Add(c);
        }
        return eligible;
    }

    private static HashSet<int> Covered(SKTypeface typeface)
    {
        using var font = new SKFont(typeface, 64);
        var codePoints = new int[Last - First + 1];
        for (int i = 0; i < codePoints.Length; i++)
            codePoints[i] = First + i;
        var glyphs = new ushort[codePoints.Length];
        font.GetGlyphs(codePoints, glyphs);
        var sharing = new Dictionary<ushort, int>();
        foreach (ushort glyph in glyphs)
            if (glyph != 0)
                sharing[glyph] = sharing.GetValueOrDefault(glyph) + 1;
        // Ink bounds of every glyph in one call: an empty box is a glyph without ink.
        var widths = new float[glyphs.Length];
        var bounds = new SKRect[glyphs.Length];
        font.GetGlyphWidths(glyphs, widths, bounds);
        var covered = new HashSet<int>();
        for (int i = 0; i < glyphs.Length; i++)
        {
            ushort glyph = glyphs[i];
            if (glyph != 0 && sharing[glyph] <= MaxSharing && bounds[i] is { Width: > 0, Height: > 0 })
                covered.Add(codePoints[i]);
        }
        return covered;
    }
}
