using Xbm.Data.Glyphs;

namespace Xbm.Tests.Data.Glyphs;

/// <summary>
/// Runs only where the font packages the glyph tests use are installed (.ci/run installs them); elsewhere the test
/// is reported as skipped, naming the packages.
/// </summary>
public sealed class GlyphFontsFactAttribute : FactAttribute
{
    /// <summary>The few designs the small glyph tests render (6 designs, 8 typefaces).</summary>
    public static readonly string[] TestDesigns = ["AR PL UMing", "IPA Gothic", "IPA Mincho", "Noto Sans CJK", "Noto Serif CJK", "WenQuanYi Micro Hei"];

    /// <summary>The typefaces of <see cref="TestDesigns"/>.</summary>
    public static IReadOnlyList<GlyphFont> TestFonts => GlyphFonts.All.Where(f => TestDesigns.Contains(f.Design)).ToList();

    /// <summary>Skips unless every font of <see cref="TestFonts"/> (with <paramref name="wholeTable"/>: of the whole table) is installed.</summary>
    public GlyphFontsFactAttribute(bool wholeTable = false)
    {
        var fonts = wholeTable ? GlyphFonts.All : TestFonts;
        var missing = fonts.Where(f => !File.Exists(GlyphTypefaces.PathOf(f, GlyphFonts.DefaultRoot))).ToList();
        if (missing.Count > 0)
            Skip = $"glyph test skipped: fonts missing; apt-get install -y --no-install-recommends {string.Join(' ', GlyphFonts.Packages(missing))}";
    }
}
