namespace Xbm.Data.Clips;

/// <summary>Options of <see cref="ClipSet.Read"/>: how video files are decoded to frames.</summary>
public sealed record ClipSetOptions
{
    /// <summary>The extensions read as video files (decoded with ffmpeg).</summary>
    public static readonly IReadOnlySet<string> VideoExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".mp4", ".avi", ".webm", ".mkv" };

    /// <summary>Where decoded video frames are kept (default: $XDG_CACHE_HOME or ~/.cache, then xbm/video-frames).</summary>
    public string? CacheFolder { get; init; }

    /// <summary>The ffmpeg executable (a name looked up on PATH, or a path).</summary>
    public string Ffmpeg { get; init; } = "ffmpeg";

    /// <summary>Frames per second kept from a video (ffmpeg's fps filter); null keeps every frame.</summary>
    public double? FramesPerSecond { get; init; }

    /// <summary>Where progress and warnings go; standard error when null.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The cache folder in use: <see cref="CacheFolder"/> or the default.</summary>
    public string ResolvedCacheFolder()
    {
        if (CacheFolder is { Length: > 0 } folder)
            return Path.GetFullPath(folder);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = xdg is { Length: > 0 } ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "xbm", "video-frames");
    }
}
