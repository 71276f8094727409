namespace Xbm.Data.Manifest;

/// <summary>
/// The canonical form every dataset reader produces: the images with label, split and provenance, the parts
/// the protocol needs, and the test protocols. <see cref="ManifestValidator"/> checks it.
/// </summary>
public sealed class DatasetManifest
{
    /// <summary>Creates a manifest.</summary>
    public DatasetManifest(string name, string root, IReadOnlyList<ManifestEntry> entries, IReadOnlyList<ManifestPart> parts, IReadOnlyList<RetrievalProtocol> protocols)
    {
        Name = name;
        Root = root;
        Entries = entries;
        Parts = parts;
        Protocols = protocols;
    }

    /// <summary>Dataset name ("cub", "sop", ...).</summary>
    public string Name { get; }

    /// <summary>The dataset's root folder.</summary>
    public string Root { get; }

    /// <summary>All entries, in list order.</summary>
    public IReadOnlyList<ManifestEntry> Entries { get; }

    /// <summary>The parts that must not be empty (train and each test part).</summary>
    public IReadOnlyList<ManifestPart> Parts { get; }

    /// <summary>The test protocols.</summary>
    public IReadOnlyList<RetrievalProtocol> Protocols { get; }

    /// <summary>The inclusive range valid labels must lie in, or null when any non-negative label is valid.</summary>
    public (long Min, long Max)? LabelRange { get; init; }

    /// <summary>Class names by label, when the layout has them.</summary>
    public IReadOnlyDictionary<long, string>? ClassNames { get; init; }

    /// <summary>Remarks for the user (dropped items, test lists not found, ...).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>What the reader skipped and the user should know (empty class folders, non-image files): one line each, with counts and an example path.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The entries of a part, in list order.</summary>
    public IReadOnlyList<ManifestEntry> EntriesOf(ManifestPart part) => Entries.Where(part.Contains).ToList();

    /// <summary>A copy with other entries (and optionally other parts and protocols), keeping the rest.</summary>
    public DatasetManifest With(IReadOnlyList<ManifestEntry> entries, IReadOnlyList<ManifestPart>? parts = null, IReadOnlyList<RetrievalProtocol>? protocols = null, IReadOnlyList<string>? notes = null) =>
        new(Name, Root, entries, parts ?? Parts, protocols ?? Protocols)
        {
            LabelRange = LabelRange,
            ClassNames = ClassNames,
            Notes = notes ?? Notes,
            Warnings = Warnings,
        };
}
