namespace Xbm.Cli.Serve;

/// <summary>What `xbm serve` serves and its limits (<see cref="ServeHost"/>).</summary>
public sealed record ServeOptions
{
    /// <summary>The largest k a search may ask for.</summary>
    public const int MaxK = 100;

    /// <summary>The model: a run or checkpoint folder, or an .onnx file written by `xbm export`.</summary>
    public required string Model { get; init; }

    /// <summary>The index `xbm embed` wrote: its folder (holding vectors.npy) or its vectors .npy file.</summary>
    public required string Index { get; init; }

    /// <summary>The address to bind: an IP address or "localhost". Default: the loopback only.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks a free one (read it back from <see cref="ServeHost.Address"/>).</summary>
    public int Port { get; init; } = 5080;

    /// <summary>The largest image upload in bytes.</summary>
    public long MaxUploadBytes { get; init; } = 10L * 1024 * 1024;

    /// <summary>The largest image in pixels (width × height), read from the header before decoding.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>The longer side of a thumbnail in pixels.</summary>
    public int ThumbnailSide { get; init; } = 160;

    /// <summary>A run: the device, or null for the run's own.</summary>
    public string? Device { get; init; }

    /// <summary>A run: overrides of its stored configuration ("data.root=DIR").</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>Checks the values; an error names the option.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
            throw new ArgumentException($"--port must be from 0 to 65535, got {Port}");
        if (MaxUploadBytes < 1)
            throw new ArgumentException($"--max-upload-mb must be positive, got {MaxUploadBytes} bytes");
        if (MaxPixels < 1)
            throw new ArgumentException($"--max-megapixels must be positive, got {MaxPixels} pixels");
        if (ThumbnailSide is < 8 or > 1024)
            throw new ArgumentException($"thumbnail side must be from 8 to 1024, got {ThumbnailSide}");
        if (Host != "localhost" && !System.Net.IPAddress.TryParse(Host, out _))
            throw new ArgumentException($"--host {Host}: expected an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost");
    }

    /// <summary>The vectors file of <see cref="Index"/>: DIR/vectors.npy for a folder, else the file itself.</summary>
    public string VectorsPath => Directory.Exists(Index) ? Path.Combine(Path.GetFullPath(Index), "vectors.npy") : Path.GetFullPath(Index);
}
