namespace Xbm.Data.Glyphs;

/// <summary>One font instance in a glyph benchmark manifest.</summary>
/// <param name="File">The font file's full path.</param>
/// <param name="FaceIndex">The face of a collection.</param>
/// <param name="Design">The design.</param>
/// <param name="Weight">The weight.</param>
/// <param name="Package">The Debian package.</param>
/// <param name="Licence">The licence.</param>
/// <param name="Id">The instance's file name stem in the class folders.</param>
/// <param name="Characters">How many of the U+4E00–U+9FFF ideographs it draws (0 for a skipped font).</param>
public sealed record GlyphFontEntry(string File, int FaceIndex, string Design, string Weight, string Package, string Licence, string Id, int Characters);
