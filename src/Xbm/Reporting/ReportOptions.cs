namespace Xbm.Reporting;

/// <summary>Options of <see cref="RunReport"/>.</summary>
public sealed record ReportOptions
{
    /// <summary>Report title.</summary>
    public string Title { get; init; } = "XBM.NET report";

    /// <summary>Embed the PNGs in report.html as data: URIs (one file to share) instead of linking the files next to it.</summary>
    public bool InlineImages { get; init; }

    /// <summary>Draw a retrieval grid per run (needs the dataset and a checkpoint).</summary>
    public bool RetrievalGrids { get; init; } = true;

    /// <summary>Queries per retrieval grid.</summary>
    public int GridQueries { get; init; } = 8;

    /// <summary>Retrieved items per query in the grid.</summary>
    public int GridNeighbours { get; init; } = 5;

    /// <summary>Seed that picks the grid's queries.</summary>
    public ulong Seed { get; init; }

    /// <summary>Thumbnail side in pixels.</summary>
    public int ThumbnailSize { get; init; } = 96;

    /// <summary>Overrides of the stored configurations used to rebuild the data for the grids ("data.root=DIR").</summary>
    public IReadOnlyList<string> Overrides { get; init; } = Array.Empty<string>();

    /// <summary>Device for embedding the grid's images, or null for the configuration's.</summary>
    public string? Device { get; init; }

    /// <summary>Receives progress messages, or null.</summary>
    public Action<string>? Log { get; init; }
}
