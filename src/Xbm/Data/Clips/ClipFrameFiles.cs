using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>The frame images of a clip folder: its files with an image extension, in natural numeric order of their names.</summary>
public static class ClipFrameFiles
{
    /// <summary>Full paths of the frame images directly in <paramref name="folder"/> (hidden files and other extensions left out), naturally ordered.</summary>
    public static IReadOnlyList<string> List(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => FolderReader.ImageExtensions.Contains(Path.GetExtension(f)) && !Path.GetFileName(f).StartsWith('.'))
            .OrderBy(Path.GetFileName, NaturalFileNameComparer.Instance)
            .ToList();
}
