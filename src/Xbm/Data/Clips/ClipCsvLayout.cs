using System.Globalization;
using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>Reads the CSV layout of <see cref="ClipSet"/>: rows <c>clip_folder,label[,split]</c>, optional header.</summary>
internal static class ClipCsvLayout
{
    private static readonly string[] KnownColumns = ["clip_folder", "label", "split"];

    public static ClipSet Read(string file, ClipSetOptions options)
    {
        string folder = Path.GetDirectoryName(file)!;
        int[]? columns = null; // index of clip_folder, label, split (-1 when absent)
        var rows = new List<(string Path, string Label, string? Split, SourceLocation Where)>();
        int number = 0;
        foreach (string text in File.ReadLines(file))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            var where = new SourceLocation(file, number);
            InvalidDataException Error(string message) => new($"{where}: {message}");
            var fields = CsvReader.Split(text, Error);
            if (columns is null)
            {
                string first = fields[0].Trim().ToLowerInvariant();
                if (first is "clip_folder" or "path" or "label" or "split")
                {
                    var names = fields.Select(f => f.Trim().ToLowerInvariant()).Select(n => n == "path" ? "clip_folder" : n).ToList();
                    foreach (string name in names)
                        if (!KnownColumns.Contains(name))
                            throw Error($"unknown column '{name}' (known: {string.Join(", ", KnownColumns)})");
                    if (!names.Contains("clip_folder") || !names.Contains("label"))
                        throw Error("the header needs 'clip_folder' and 'label' columns");
                    columns = KnownColumns.Select(c => names.IndexOf(c)).ToArray();
                    continue;
                }
                if (fields.Count is not (2 or 3))
                    throw Error($"expected clip_folder,label[,split], found {fields.Count} fields");
                columns = [0, 1, fields.Count == 3 ? 2 : -1];
            }
            int expected = columns.Count(c => c >= 0);
            if (fields.Count != expected)
                throw Error($"expected {expected} fields, found {fields.Count}");
            string path = fields[columns[0]].Trim();
            if (path.Length == 0)
                throw Error("empty clip folder");
            string label = fields[columns[1]].Trim();
            if (label.Length == 0)
                throw Error("empty label");
            rows.Add((path, label, columns[2] >= 0 ? fields[columns[2]].Trim() : null, where));
        }
        if (rows.Count == 0)
            throw new InvalidDataException($"{file}: no clips");

        bool numeric = rows.All(r => long.TryParse(r.Label, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        Dictionary<string, long>? labelOf = numeric ? null
            : rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        VideoFrameCache? cache = null;
        var clips = new List<ClipEntry>(rows.Count);
        foreach (var row in rows)
        {
            long label = labelOf is null ? long.Parse(row.Label, NumberStyles.Integer, CultureInfo.InvariantCulture) : labelOf[row.Label];
            DatasetSplit? split = null;
            if (row.Split is { Length: > 0 })
                split = DatasetSplitNames.Parse(row.Split) ?? throw new InvalidDataException($"{row.Where}: split '{row.Split}' is not train, validation, test, query or gallery");
            string full = Path.GetFullPath(Path.IsPathRooted(row.Path) ? row.Path : Path.Combine(folder, row.Path));
            bool video = File.Exists(full) && ClipSetOptions.VideoExtensions.Contains(Path.GetExtension(full));
            if (video)
                cache ??= new VideoFrameCache(options);
            clips.Add(ClipReading.Entry(full, video, label, split, row.Where, cache));
        }
        return new ClipSet(file, clips, labelOf?.ToDictionary(p => p.Value, p => p.Key));
    }
}
