namespace Xbm.Data.Glyphs;

/// <summary>
/// One typeface instance of the glyph benchmark: a font file (and face of a collection) with the design it
/// belongs to and its weight. Several instances may share a design (weights of one family); coverage is counted in
/// designs, images are rendered per instance.
/// </summary>
/// <param name="File">The font file's path under the font root (normally /usr/share/fonts).</param>
/// <param name="FaceIndex">The face inside a collection (.ttc); 0 for a single-face file.</param>
/// <param name="Design">The design's name; instances that differ only in spacing or region share it.</param>
/// <param name="Weight">The weight's name (Regular, Bold, ...).</param>
/// <param name="Package">The Debian package that installs the file.</param>
/// <param name="Licence">The font's licence as its Debian copyright file names it.</param>
public sealed record GlyphFont(string File, int FaceIndex, string Design, string Weight, string Package, string Licence)
{
    /// <summary>
    /// A filesystem-safe name of the instance (lower-case letters, digits and dashes), e.g.
    /// <c>noto-sans-cjk-bold</c>: the image's file name in every class folder.
    /// </summary>
    public string Id
    {
        get
        {
            var text = new System.Text.StringBuilder();
            foreach (char c in $"{Design} {Weight}".ToLowerInvariant())
            {
                if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
                    text.Append(c);
                else if (text.Length > 0 && text[^1] != '-')
                    text.Append('-');
            }
            return text.ToString().TrimEnd('-');
        }
    }
}
