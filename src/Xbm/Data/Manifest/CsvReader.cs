using System.Globalization;

namespace Xbm.Data.Manifest;

/// <summary>
/// A CSV of <c>path,label[,split]</c> (optionally with a header naming the columns path, label, split and
/// super_class in any order; <see cref="LabeledCsv"/>). Paths are relative to the CSV's folder unless absolute. Labels are integers, or
/// names mapped to 0, 1, ... in ordinal order. Splits are train, validation, test, query or gallery; without
/// a split column the first half of the sorted labels train and the rest test. The root is the CSV file
/// itself or a folder holding manifest.csv.
/// </summary>
public sealed class CsvReader : IDatasetReader
{
    /// <summary>The file name looked for when the root is a folder.</summary>
    public const string DefaultFileName = "manifest.csv";

    /// <summary>Creates the reader.</summary>
    /// <param name="recallAt">The K values of Recall@K (default 1, 2, 4, 8).</param>
    public CsvReader(IReadOnlyList<int>? recallAt = null) => RecallAt = recallAt ?? [1, 2, 4, 8];

    /// <summary>The K values of Recall@K.</summary>
    public IReadOnlyList<int> RecallAt { get; }

    /// <inheritdoc/>
    public string Name => "csv";

    /// <inheritdoc/>
    public string Description => "a CSV of path,label[,split] (split: train/validation/test/query/gallery; none: first half of the labels train)";

    /// <inheritdoc/>
    public string Layout => $"<file>.csv or <root>/{DefaultFileName}; rows path,label[,split], optional header";

    /// <inheritdoc/>
    public DatasetManifest Read(string root)
    {
        string file = File.Exists(root) ? Path.GetFullPath(root)
            : Directory.Exists(root) ? ListFile.Require(Path.Combine(Path.GetFullPath(root), DefaultFileName), Name)
            : throw new FileNotFoundException($"{Name}: neither a CSV file nor a folder: {root}", root);
        string folder = Path.GetDirectoryName(file)!;
        var rows = LabeledCsv.Read(file, "path", [], ["super_class"], "rows");
        var labelOf = LabeledCsv.Labels(rows, out var names);

        HashSet<long>? train = rows[0].Split is null ? ListFile.FirstHalf(rows.Select(r => labelOf(r.Label))) : null;
        var entries = new List<ManifestEntry>(rows.Count);
        foreach (var row in rows)
        {
            long label = labelOf(row.Label);
            DatasetSplit split = LabeledCsv.SplitOf(row) ?? (train!.Contains(label) ? DatasetSplit.Train : DatasetSplit.Test);
            long? super = null;
            if (row.Extra.TryGetValue("super_class", out string? superText) && superText.Length > 0)
                super = long.TryParse(superText, NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) ? s
                    : throw new InvalidDataException($"{row.Where}: super_class '{superText}' is not an integer");
            string full = Path.IsPathRooted(row.Path) ? row.Path : ListFile.Combine(folder, row.Path);
            entries.Add(new ManifestEntry(full, label, split, row.Where) { SuperClass = super });
        }

        var (parts, protocols) = FolderReader.GenericProtocols(entries.Select(e => e.Split).ToHashSet(), RecallAt);
        return new DatasetManifest(Name, folder, entries, parts, protocols) { ClassNames = names };
    }
}
