using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>Makes a <see cref="ClipEntry"/> from a clip folder or a video file, failing with the clip named.</summary>
internal static class ClipReading
{
    public static ClipEntry Entry(string path, bool video, long label, DatasetSplit? split, SourceLocation source, VideoFrameCache? cache)
    {
        string where = source.Line > 0 ? $"{source}: clip {path}" : $"clip {path}";
        if (video)
        {
            cache ??= new VideoFrameCache();
            var frames = cache.Frames(path, source);
            return new ClipEntry(path, label, split, frames, source) { FrameFolder = cache.EntryFolder(path) };
        }
        if (!Directory.Exists(path))
            throw new InvalidDataException(File.Exists(path)
                ? $"{where}: a file, not a clip folder (videos end in {string.Join(", ", ClipSetOptions.VideoExtensions.Order(StringComparer.Ordinal))})"
                : $"{where}: clip folder not found");
        var list = ClipFrameFiles.List(path);
        if (list.Count == 0)
            throw new InvalidDataException($"{where}: no frames in the clip folder (frames end in {string.Join(", ", FolderReader.ImageExtensions.Order(StringComparer.Ordinal))})");
        return new ClipEntry(path, label, split, list, source);
    }
}
