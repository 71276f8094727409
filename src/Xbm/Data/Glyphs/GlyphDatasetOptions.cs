namespace Xbm.Data.Glyphs;

/// <summary>The settings of <see cref="GlyphDatasetGenerator"/>.</summary>
public sealed record GlyphDatasetOptions
{
    /// <summary>The folder to write (replaced atomically when it holds an earlier glyph benchmark).</summary>
    public required string Output { get; init; }

    /// <summary>The image side in pixels (32).</summary>
    public int Size { get; init; } = 32;

    /// <summary>The seed of the split and of every image's variation (0).</summary>
    public int Seed { get; init; }

    /// <summary>The training characters, validation included (2,000).</summary>
    public int TrainClasses { get; init; } = 2000;

    /// <summary>The test characters (1,000).</summary>
    public int TestClasses { get; init; } = 1000;

    /// <summary>The share of the training characters moved to a validation split (0: none).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>
    /// The benchmark's standard validation share (0.3: 1,400 training, 600 validation characters), the default of
    /// `xbm datasets make glyphs`: presets are chosen on the validation split, never on the test split.
    /// </summary>
    public const double BenchmarkValidationFraction = 0.3;

    /// <summary>A character is used only when at least this many designs draw it (12).</summary>
    public int MinDesigns { get; init; } = 12;

    /// <summary>The output layout (folder).</summary>
    public GlyphLayout Layout { get; init; } = GlyphLayout.Folder;

    /// <summary>Where the font files are looked up (/usr/share/fonts).</summary>
    public string FontRoot { get; init; } = GlyphFonts.DefaultRoot;

    /// <summary>The instances to use (all of <see cref="GlyphFonts.All"/>).</summary>
    public IReadOnlyList<GlyphFont> Fonts { get; init; } = GlyphFonts.All;

    /// <summary>The per-image variation.</summary>
    public GlyphAugmentation Augmentation { get; init; } = new();

    /// <summary>Rendering threads (0: one per core).</summary>
    public int Workers { get; init; }

    /// <summary>Checks the ranges that do not depend on the fonts.</summary>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Output))
            throw new ArgumentException("--out: an output folder is required");
        if (Size < 8 || Size > 1024)
            throw new ArgumentException($"--size: {Size} is out of range [8, 1024]");
        if (MinDesigns < 1)
            throw new ArgumentException($"--min-designs: {MinDesigns} is out of range [1, inf]");
        if (TrainClasses < 2)
            throw new ArgumentException($"--train-classes: {TrainClasses} is out of range [2, inf]");
        if (TestClasses < 2)
            throw new ArgumentException($"--test-classes: {TestClasses} is out of range [2, inf]");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
            throw new ArgumentException($"--validation: {ValidationFraction} is out of range [0, 1)");
        if (Workers < 0)
            throw new ArgumentException($"--workers: {Workers} is out of range [0, inf]");
        if (Fonts.Count == 0)
            throw new ArgumentException("glyphs: no fonts selected");
        Augmentation.Validate();
    }
}
