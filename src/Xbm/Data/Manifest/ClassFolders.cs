namespace Xbm.Data.Manifest;

/// <summary>
/// The class folders of a folder-per-class layout: <c>root/&lt;class&gt;/</c>, or <c>root/&lt;split&gt;/&lt;class&gt;/</c>
/// when every top folder is a split name (train, test, validation, query, gallery). Shared by the image and clip readers.
/// </summary>
internal static class ClassFolders
{
    /// <summary>Each class folder with its split (null without split folders), in ordinal order; and whether split folders were used.</summary>
    public static (IReadOnlyList<(DatasetSplit? Split, string Folder)> Classes, bool SplitFolders) Find(string root)
    {
        var top = Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal).ToList();
        bool splitFolders = top.Count > 0 && top.All(d => DatasetSplitNames.Parse(Path.GetFileName(d)) is not null);
        if (!splitFolders)
            return (top.Select(d => ((DatasetSplit?)null, d)).ToList(), false);
        var classes = top.SelectMany(dir => Directory.GetDirectories(dir).OrderBy(d => d, StringComparer.Ordinal)
            .Select(d => (DatasetSplitNames.Parse(Path.GetFileName(dir)), d))).ToList();
        return (classes, true);
    }
}
