namespace Xbm.Data.Glyphs;

/// <summary>One split's size in a glyph benchmark manifest.</summary>
/// <param name="Name">train, validation or test.</param>
/// <param name="Classes">The characters.</param>
/// <param name="Images">The images.</param>
public sealed record GlyphSplitSize(string Name, int Classes, int Images);
