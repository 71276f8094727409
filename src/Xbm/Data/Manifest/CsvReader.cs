using System.Globalization;
using System.Text;

namespace Xbm.Data.Manifest;

/// <summary>
/// A CSV of <c>path,label[,split]</c> (optionally with a header naming the columns path, label, split and
/// super_class in any order). Paths are relative to the CSV's folder unless absolute. Labels are integers, or
/// names mapped to 0, 1, ... in ordinal order. Splits are train, validation, test, query or gallery; without
/// a split column the first half of the sorted labels train and the rest test. The root is the CSV file
/// itself or a folder holding manifest.csv.
/// </summary>
public sealed class CsvReader : IDatasetReader
{
    /// <summary>The file name looked for when the root is a folder.</summary>
    public const string DefaultFileName = "manifest.csv";

    private static readonly string[] KnownColumns = ["path", "label", "split", "super_class"];

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

        int[]? columns = null; // index of path, label, split, super_class (-1 when absent)
        var rows = new List<(string Path, string Label, string? Split, string? Super, SourceLocation Where)>();
        int number = 0;
        foreach (string text in File.ReadLines(file))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            var where = new SourceLocation(file, number);
            InvalidDataException Error(string message) => new($"{where}: {message}");
            var fields = Split(text, Error);
            if (columns is null)
            {
                if (fields[0].Trim().Equals("path", StringComparison.OrdinalIgnoreCase))
                {
                    var names = fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
                    foreach (string name in names)
                        if (!KnownColumns.Contains(name))
                            throw Error($"unknown column '{name}' (known: {string.Join(", ", KnownColumns)})");
                    if (!names.Contains("label"))
                        throw Error("the header has no 'label' column");
                    columns = KnownColumns.Select(c => names.IndexOf(c)).ToArray();
                    continue;
                }
                if (fields.Count is not (2 or 3))
                    throw Error($"expected path,label[,split], found {fields.Count} fields");
                columns = [0, 1, fields.Count == 3 ? 2 : -1, -1];
            }
            int expected = columns.Count(c => c >= 0);
            if (fields.Count != expected)
                throw Error($"expected {expected} fields, found {fields.Count}");
            string path = fields[columns[0]].Trim();
            if (path.Length == 0)
                throw Error("empty path");
            string label = fields[columns[1]].Trim();
            if (label.Length == 0)
                throw Error("empty label");
            rows.Add((path, label, columns[2] >= 0 ? fields[columns[2]].Trim() : null, columns[3] >= 0 ? fields[columns[3]].Trim() : null, where));
        }
        if (rows.Count == 0)
            throw new InvalidDataException($"{file}: no rows");

        bool numeric = rows.All(r => long.TryParse(r.Label, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        Dictionary<string, long>? labelOf = numeric ? null
            : rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        long Label(string text) => labelOf is null ? long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : labelOf[text];

        HashSet<long>? train = rows[0].Split is null ? ListFile.FirstHalf(rows.Select(r => Label(r.Label))) : null;
        var entries = new List<ManifestEntry>(rows.Count);
        foreach (var row in rows)
        {
            long label = Label(row.Label);
            DatasetSplit split;
            if (row.Split is null)
                split = train!.Contains(label) ? DatasetSplit.Train : DatasetSplit.Test;
            else
                split = DatasetSplitNames.Parse(row.Split) ?? throw new InvalidDataException($"{row.Where}: split '{row.Split}' is not train, validation, test, query or gallery");
            long? super = null;
            if (row.Super is { Length: > 0 })
                super = long.TryParse(row.Super, NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) ? s
                    : throw new InvalidDataException($"{row.Where}: super_class '{row.Super}' is not an integer");
            string full = Path.IsPathRooted(row.Path) ? row.Path : ListFile.Combine(folder, row.Path);
            entries.Add(new ManifestEntry(full, label, split, row.Where) { SuperClass = super });
        }

        var (parts, protocols) = FolderReader.GenericProtocols(entries.Select(e => e.Split).ToHashSet(), RecallAt);
        return new DatasetManifest(Name, folder, entries, parts, protocols)
        {
            ClassNames = labelOf?.ToDictionary(p => p.Value, p => p.Key),
        };
    }

    /// <summary>Splits one CSV line: commas separate fields; double quotes enclose fields, "" is a quote.</summary>
    internal static List<string> Split(string line, Func<string, InvalidDataException> error)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, wasQuoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                    quoted = false;
                else
                    field.Append(c);
            }
            else if (c == '"')
            {
                if (field.ToString().Trim().Length > 0 || wasQuoted)
                    throw error($"unexpected quote in column {fields.Count + 1}");
                field.Clear();
                quoted = wasQuoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                wasQuoted = false;
            }
            else if (wasQuoted && !char.IsWhiteSpace(c))
                throw error($"text after the closing quote in column {fields.Count + 1}");
            else if (!wasQuoted)
                field.Append(c);
        }
        if (quoted)
            throw error($"unterminated quote in column {fields.Count + 1}");
        fields.Add(field.ToString());
        return fields;
    }
}
