namespace Xbm.Data.Glyphs;

/// <summary>How the glyph benchmark is written: the layouts the tool's folder and CSV readers read.</summary>
public enum GlyphLayout
{
    /// <summary><c>train/</c>, <c>test/</c> (and <c>validation/</c>) with a folder per class (dataset: folder).</summary>
    Folder,

    /// <summary><c>images/&lt;class&gt;/*.png</c> and <c>manifest.csv</c> with path, label and split (dataset: csv).</summary>
    Csv,
}
