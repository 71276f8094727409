using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>One clip of a <see cref="ClipSet"/>: its frames in temporal order.</summary>
/// <param name="Path">Full path of the clip: its frames folder, or its video file.</param>
/// <param name="Label">Class id.</param>
/// <param name="Split">Role given by the layout (a split folder or a CSV split column), or null when the layout gives none.</param>
/// <param name="Frames">Full paths of the frame images, in natural numeric order of their names (a video's decoded frames from the cache).</param>
/// <param name="Source">Where the clip was named: the CSV file and line, or the clip itself for a folder tree.</param>
public sealed record ClipEntry(string Path, long Label, DatasetSplit? Split, IReadOnlyList<string> Frames, SourceLocation Source)
{
    /// <summary>The decoded frames folder when the clip is a video file, else null.</summary>
    public string? FrameFolder { get; init; }

    /// <summary>The clip as named in messages: "clip PATH", after "FILE:LINE: " when it comes from a CSV.</summary>
    public string Describe()
    {
        string what = FrameFolder is null ? $"clip {Path}" : $"video {Path} (frames in {FrameFolder})";
        return Source.Line > 0 ? $"{Source}: {what}" : what;
    }
}
