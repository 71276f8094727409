namespace Xbm.Data.Clips;

/// <summary>
/// A manifest of video clips, each a sequence of frame images with a label. Two layouts:
/// <list type="bullet">
/// <item>class folders, <c>root/&lt;class&gt;/&lt;clip&gt;/&lt;frames&gt;</c> (optionally under split folders
/// <c>root/{train,validation,test,query,gallery}/&lt;class&gt;/…</c>), where a clip is a folder of frame images or a
/// video file (.mp4, .avi, .webm, .mkv) decoded once with ffmpeg into a cache (<see cref="VideoFrameCache"/>); labels
/// are the positions of the class names in ordinal order;</item>
/// <item>a CSV of <c>clip_folder,label[,split]</c> (optional header naming those columns; paths relative to the CSV's
/// folder unless absolute; integer labels, or names numbered in ordinal order).</item>
/// </list>
/// Frames are the image files of a clip folder in natural numeric order of their names (frame_2 before frame_10).
/// A missing clip folder, one without frames, or an unreadable video fails the read with an error naming the clip.
/// </summary>
public sealed class ClipSet
{
    /// <summary>Creates a set over <paramref name="clips"/> (their order is the set's position order).</summary>
    public ClipSet(string root, IReadOnlyList<ClipEntry> clips, IReadOnlyDictionary<long, string>? classNames = null, IReadOnlyList<string>? warnings = null)
    {
        Root = root;
        Clips = clips.ToArray();
        Labels = Clips.Select(c => c.Label).ToArray();
        ClassNames = classNames;
        Warnings = warnings ?? [];
    }

    /// <summary>The folder or CSV file the set was read from.</summary>
    public string Root { get; }

    /// <summary>The clips, by position.</summary>
    public IReadOnlyList<ClipEntry> Clips { get; }

    /// <summary>Class names by label (folder names, CSV label names), or null for integer CSV labels.</summary>
    public IReadOnlyDictionary<long, string>? ClassNames { get; }

    /// <summary>Things skipped while reading (empty class folders, unknown files).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Number of clips.</summary>
    public int Count => Clips.Count;

    /// <summary>The labels, by position.</summary>
    public IReadOnlyList<long> Labels { get; }

    /// <summary>Reads <paramref name="path"/>: a CSV file, or a folder of class folders.</summary>
    public static ClipSet Read(string path, ClipSetOptions? options = null)
    {
        options ??= new ClipSetOptions();
        if (File.Exists(path))
            return ClipCsvLayout.Read(Path.GetFullPath(path), options);
        if (Directory.Exists(path))
            return ClipFolderLayout.Read(Path.GetFullPath(path), options);
        throw new FileNotFoundException($"clips: neither a CSV file nor a folder: {path}", path);
    }
}
