namespace Xbm.Data.Manifest;

/// <summary>
/// A folder per class: <c>root/&lt;class&gt;/**/*.jpg|png|...</c>. Either the root holds split folders
/// (train/, test/, and optionally validation/ (or val/), query/, gallery/), each with class folders, or it holds
/// the class folders directly and the first half of the classes (in ordinal name order) train, the rest test.
/// Labels are the positions of the class names in the ordinal order of all class names.
/// </summary>
public sealed class FolderReader : IDatasetReader
{
    /// <summary>The file extensions read as images.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif" };

    /// <summary>Creates the reader.</summary>
    /// <param name="recallAt">The K values of Recall@K (default 1, 2, 4, 8).</param>
    public FolderReader(IReadOnlyList<int>? recallAt = null) => RecallAt = recallAt ?? [1, 2, 4, 8];

    /// <summary>The K values of Recall@K.</summary>
    public IReadOnlyList<int> RecallAt { get; }

    /// <inheritdoc/>
    public string Name => "folder";

    /// <inheritdoc/>
    public string Description => "a folder per class; split folders train/test[/validation/query/gallery], or first half of the classes train";

    /// <inheritdoc/>
    public string Layout => "<root>/<class>/*.jpg or <root>/{train,test,validation,query,gallery}/<class>/*.jpg";

    /// <inheritdoc/>
    public DatasetManifest Read(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{Name}: root folder not found: {root}");
        root = Path.GetFullPath(root);
        var (classFolders, splitMode) = ClassFolders.Find(root);

        // (split or null, class name, image path)
        var found = new List<(DatasetSplit? Split, string Class, string Path)>();
        var emptyClasses = new List<string>();
        var otherFiles = new List<string>();
        foreach (var (split, classDir) in classFolders)
        {
            int before = found.Count;
            foreach (string file in Directory.EnumerateFiles(classDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (ImageExtensions.Contains(Path.GetExtension(file)))
                    found.Add((split, Path.GetFileName(classDir), file));
                else if (!Path.GetFileName(file).StartsWith('.')) // hidden files (.DS_Store) are not worth a warning
                    otherFiles.Add(file);
            }
            if (found.Count == before)
                emptyClasses.Add(classDir);
        }
        if (found.Count == 0)
            throw new InvalidDataException($"{root}: no images found (expected {Layout})");
        var warnings = new List<string>();
        if (emptyClasses.Count > 0)
            warnings.Add($"{Name}: {emptyClasses.Count} class folder(s) without images skipped (no class made for them), e.g. {emptyClasses[0]}");
        if (otherFiles.Count > 0)
            warnings.Add($"{Name}: {otherFiles.Count} non-image file(s) skipped (images end in {string.Join(", ", ImageExtensions.Order(StringComparer.Ordinal))}), e.g. {otherFiles[0]}");

        var classNames = found.Select(f => f.Class).Distinct().Order(StringComparer.Ordinal).ToList();
        var labelOf = classNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        var train = splitMode ? null : ListFile.FirstHalf(labelOf.Values);
        var entries = found.Select(f =>
        {
            long label = labelOf[f.Class];
            var split = f.Split ?? (train!.Contains(label) ? DatasetSplit.Train : DatasetSplit.Test);
            return new ManifestEntry(f.Path, label, split, new SourceLocation(f.Path, 0));
        }).ToList();

        var (parts, protocols) = GenericProtocols(entries.Select(e => e.Split).ToHashSet(), RecallAt);
        return new DatasetManifest(Name, root, entries, parts, protocols)
        {
            ClassNames = labelOf.ToDictionary(p => p.Value, p => p.Key),
            Warnings = warnings,
        };
    }

    /// <summary>
    /// Parts and protocols of a generic layout from the splits present: train is required; a test split is
    /// searched against itself; query and gallery together make a query-gallery protocol.
    /// </summary>
    internal static (List<ManifestPart> Parts, List<RetrievalProtocol> Protocols) GenericProtocols(IReadOnlySet<DatasetSplit> present, IReadOnlyList<int> recallAt)
    {
        var parts = new List<ManifestPart> { new(DatasetSplit.Train) };
        var protocols = new List<RetrievalProtocol>();
        if (present.Contains(DatasetSplit.Test))
        {
            parts.Add(new ManifestPart(DatasetSplit.Test));
            protocols.Add(new RetrievalProtocol("test", new ManifestPart(DatasetSplit.Test), null, recallAt));
        }
        if (present.Contains(DatasetSplit.Query) || present.Contains(DatasetSplit.Gallery))
        {
            parts.Add(new ManifestPart(DatasetSplit.Query));
            parts.Add(new ManifestPart(DatasetSplit.Gallery));
            protocols.Add(new RetrievalProtocol("query-gallery", new ManifestPart(DatasetSplit.Query), new ManifestPart(DatasetSplit.Gallery), recallAt));
        }
        if (protocols.Count == 0)
            parts.Add(new ManifestPart(DatasetSplit.Test)); // reported as an empty test part
        return (parts, protocols);
    }
}
