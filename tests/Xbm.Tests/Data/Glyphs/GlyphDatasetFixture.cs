using Xbm.Data.Glyphs;

namespace Xbm.Tests.Data.Glyphs;

/// <summary>
/// A small glyph benchmark generated twice with the same settings (folder layout, 20 training characters of
/// which 10 % validation, 10 test, 6 designs, 20×20 pixels), shared by the glyph tests. Generated lazily so that
/// a machine without the fonts skips instead of failing in the fixture.
/// </summary>
public sealed class GlyphDatasetFixture : IDisposable
{
    public const int MinDesigns = 5;

    private readonly Lazy<(GlyphDatasetManifest Manifest, string First, string Second)> _generated;

    public GlyphDatasetFixture()
    {
        _generated = new(() =>
        {
            var first = GlyphDatasetGenerator.Generate(Options(Path.Combine(Folder, "first")));
            GlyphDatasetGenerator.Generate(Options(Path.Combine(Folder, "second")) with { Workers = 1 });
            return (first, Path.Combine(Folder, "first"), Path.Combine(Folder, "second"));
        });
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"xbm-glyphs-{Guid.NewGuid():N}");

    /// <summary>The settings of the shared benchmark, writing to <paramref name="output"/>.</summary>
    public static GlyphDatasetOptions Options(string output) => new()
    {
        Output = output,
        Size = 20,
        Seed = 3,
        TrainClasses = 20,
        TestClasses = 10,
        ValidationFraction = 0.1,
        MinDesigns = MinDesigns,
        Fonts = GlyphFontsFactAttribute.TestFonts,
    };

    /// <summary>The manifest of the first generation.</summary>
    public GlyphDatasetManifest Manifest => _generated.Value.Manifest;

    /// <summary>The first generation's folder.</summary>
    public string First => _generated.Value.First;

    /// <summary>The second generation's folder (same settings, one rendering thread).</summary>
    public string Second => _generated.Value.Second;

    public void Dispose()
    {
        if (Directory.Exists(Folder))
            Directory.Delete(Folder, recursive: true);
    }
}
