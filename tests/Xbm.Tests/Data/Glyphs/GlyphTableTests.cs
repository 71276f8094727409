using System.Text.RegularExpressions;
using Xbm.Data.Glyphs;

namespace Xbm.Tests.Data.Glyphs;

/// <summary>The committed font table and the coverage it gives on a Debian 12 machine with the packages installed.</summary>
public sealed class GlyphTableTests
{
    [Fact]
    public void TheTableHasUniqueIdsAndFilesAndAtLeast25Designs()
    {
        Assert.Equal(GlyphFonts.All.Count, GlyphFonts.All.Select(f => f.Id).Distinct().Count());
        Assert.Equal(GlyphFonts.All.Count, GlyphFonts.All.Select(f => (f.File, f.FaceIndex)).Distinct().Count());
        Assert.True(GlyphFonts.All.Select(f => f.Design).Distinct().Count() >= 25);
        Assert.All(GlyphFonts.All, f => Assert.Matches("^[a-z0-9]+(-[a-z0-9]+)*$", f.Id));
        Assert.All(GlyphFonts.All, f => Assert.StartsWith("fonts-", f.Package));
    }

    [Theory]
    [InlineData(".ci/run")]
    [InlineData("README.md")]
    public void TheSetUpInstallsExactlyTheTablesPackages(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Xbm.slnx")))
            dir = dir.Parent;
        string text = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Xbm.slnx) not found"), file));
        var listed = Regex.Matches(text, @"\bfonts-[a-z0-9-]*[a-z0-9]").Select(m => m.Value).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(GlyphFonts.Packages(GlyphFonts.All).Order(StringComparer.Ordinal), listed);
    }

    [GlyphFontsFact(wholeTable: true)]
    public void TheDefaultSplitFitsTheCharactersTwelveDesignsDraw()
    {
        using var typefaces = GlyphTypefaces.Open(GlyphFonts.All);
        Assert.Empty(typefaces.Missing);
        var coverage = GlyphCoverage.Measure(typefaces);
        var eligible = coverage.Eligible(12);
        var defaults = new GlyphDatasetOptions { Output = "unused" };
        Assert.True(eligible.Count >= defaults.TrainClasses + defaults.TestClasses, $"{eligible.Count} characters");
        Assert.All(eligible.Take(50), c => Assert.True(coverage.DesignsOf(c) >= 12));

        // Fonts that map characters they lack to an empty glyph are not counted for them (Aoyagi Kouzan T).
        var kouzan = GlyphFonts.All.Single(f => f.Design == "Aoyagi Kouzan T");
        Assert.True(coverage.Count(kouzan) < 12_000, $"{coverage.Count(kouzan)}");
        Assert.Contains(0x4E00, eligible); // 一
    }
}
