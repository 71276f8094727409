namespace Xbm.Data.Manifest;

/// <summary>Where a manifest entry came from: a file and a 1-based line (0 when the entry is the file itself, e.g. a folder tree).</summary>
/// <param name="File">The list file (or the image file for folder trees).</param>
/// <param name="Line">The 1-based line number, or 0 when there is no line.</param>
public sealed record SourceLocation(string File, int Line)
{
    /// <summary>"file:line", or "file" when there is no line.</summary>
    public override string ToString() => Line > 0 ? $"{File}:{Line}" : File;
}
