using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xbm.Data.Glyphs;

/// <summary>
/// What <c>manifest.json</c> of a glyph benchmark records: the generator and its version, the settings, the fonts
/// used and skipped, and the split sizes.
/// </summary>
public sealed record GlyphDatasetManifest
{
    /// <summary>The generator's name.</summary>
    public const string GeneratorName = "xbm-glyphs";

    /// <summary>
    /// The generator's version: raised whenever the same settings would give different images or splits
    /// (a change of the rendering, the augmentation, the split, the font table or the coverage rule).
    /// </summary>
    public const int CurrentVersion = 1;

    /// <summary>The generator's name (<see cref="GeneratorName"/>).</summary>
    public string Generator { get; init; } = GeneratorName;

    /// <summary>The generator's version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The seed of the split and of the images.</summary>
    public int Seed { get; init; }

    /// <summary>The image side in pixels.</summary>
    public int Size { get; init; }

    /// <summary>The minimum number of designs per character.</summary>
    public int MinDesigns { get; init; }

    /// <summary>The layout written ("folder" or "csv").</summary>
    public string Layout { get; init; } = "";

    /// <summary>The per-image variation.</summary>
    public GlyphAugmentation Augmentation { get; init; } = new();

    /// <summary>The number of distinct designs used.</summary>
    public int Designs { get; init; }

    /// <summary>The characters at least <see cref="MinDesigns"/> designs draw (before the split).</summary>
    public int EligibleCharacters { get; init; }

    /// <summary>The splits in order train, validation, test (validation only when carved).</summary>
    public IReadOnlyList<GlyphSplitSize> Splits { get; init; } = [];

    /// <summary>The instances rendered.</summary>
    public IReadOnlyList<GlyphFontEntry> Fonts { get; init; } = [];

    /// <summary>The instances of the table that were not installed, skipped.</summary>
    public IReadOnlyList<GlyphFontEntry> Skipped { get; init; } = [];

    /// <summary>The JSON options of the file (indented, camelCase).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The file's text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a manifest written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a glyph benchmark manifest.</exception>
    public static GlyphDatasetManifest Read(string path)
    {
        GlyphDatasetManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<GlyphDatasetManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a glyph benchmark manifest ({e.Message})", e);
        }
        if (manifest is null || manifest.Generator != GeneratorName)
            throw new InvalidDataException($"{path}: not a glyph benchmark manifest");
        return manifest;
    }
}
