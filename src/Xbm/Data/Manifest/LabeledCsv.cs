using System.Globalization;
using System.Text;

namespace Xbm.Data.Manifest;

/// <summary>One row of a <see cref="LabeledCsv"/>: the item's path, label and split as written, optional extra columns, and where it was read.</summary>
/// <param name="Path">The path field, trimmed.</param>
/// <param name="Label">The label field, trimmed.</param>
/// <param name="Split">The split field, trimmed, or null without a split column.</param>
/// <param name="Extra">The extra columns' fields by column name (empty when absent).</param>
/// <param name="Where">File and line.</param>
internal sealed record LabeledCsvRow(string Path, string Label, string? Split, IReadOnlyDictionary<string, string> Extra, SourceLocation Where);

/// <summary>
/// The CSV format shared by the image manifest (<see cref="CsvReader"/>) and the clip list (Clips/ClipCsvLayout):
/// rows <c>PATH,label[,split]</c>, or a header naming the columns in any order (the path column, label, split and
/// the reader's extra columns). Fields are separated by commas; double quotes enclose a field, "" is a quote.
/// Labels are integers, or names mapped to 0, 1, ... in ordinal order (<see cref="Labels"/>).
/// </summary>
internal static class LabeledCsv
{
    /// <summary>Reads the rows of <paramref name="file"/>; an empty file, a bad header or a row with a wrong field count is an error naming the line.</summary>
    /// <param name="file">The CSV.</param>
    /// <param name="pathColumn">The path column's name ("path", "clip_folder").</param>
    /// <param name="pathAliases">Other names accepted for the path column in a header.</param>
    /// <param name="extraColumns">Further columns a header may name (e.g. super_class).</param>
    /// <param name="what">What the rows are, for the empty-file error ("rows", "clips").</param>
    public static List<LabeledCsvRow> Read(string file, string pathColumn, IReadOnlyList<string> pathAliases, IReadOnlyList<string> extraColumns, string what)
    {
        string[] known = [pathColumn, "label", "split", .. extraColumns];
        int[]? columns = null; // index of each known column (-1 when absent)
        var rows = new List<LabeledCsvRow>();
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
                string Name(string field)
                {
                    string name = field.Trim().ToLowerInvariant();
                    return pathAliases.Contains(name) ? pathColumn : name;
                }
                if (known.Contains(Name(fields[0])))
                {
                    var names = fields.Select(Name).ToList();
                    foreach (string name in names)
                        if (!known.Contains(name))
                            throw Error($"unknown column '{name}' (known: {string.Join(", ", known)})");
                    if (!names.Contains(pathColumn) || !names.Contains("label"))
                        throw Error($"the header needs '{pathColumn}' and 'label' columns");
                    columns = known.Select(c => names.IndexOf(c)).ToArray();
                    continue;
                }
                if (fields.Count is not (2 or 3))
                    throw Error($"expected {pathColumn},label[,split], found {fields.Count} fields");
                columns = [0, 1, fields.Count == 3 ? 2 : -1, .. extraColumns.Select(_ => -1)];
            }
            int expected = columns.Count(c => c >= 0);
            if (fields.Count != expected)
                throw Error($"expected {expected} fields, found {fields.Count}");
            string path = fields[columns[0]].Trim();
            if (path.Length == 0)
                throw Error($"empty {pathColumn}");
            string label = fields[columns[1]].Trim();
            if (label.Length == 0)
                throw Error("empty label");
            var extra = new Dictionary<string, string>();
            for (int c = 3; c < known.Length; c++)
                if (columns[c] >= 0)
                    extra[known[c]] = fields[columns[c]].Trim();
            rows.Add(new LabeledCsvRow(path, label, columns[2] >= 0 ? fields[columns[2]].Trim() : null, extra, where));
        }
        if (rows.Count == 0)
            throw new InvalidDataException($"{file}: no {what}");
        return rows;
    }

    /// <summary>
    /// The numeric label of each row's label text: the integer itself when every label is one, else the names'
    /// ordinal rank; <paramref name="names"/> maps those labels back to the names (null for integer labels).
    /// </summary>
    public static Func<string, long> Labels(IReadOnlyList<LabeledCsvRow> rows, out Dictionary<long, string>? names)
    {
        bool numeric = rows.All(r => long.TryParse(r.Label, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        if (numeric)
        {
            names = null;
            return text => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }
        var labelOf = rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).Select((name, i) => (name, i))
            .ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        names = labelOf.ToDictionary(p => p.Value, p => p.Key);
        return text => labelOf[text];
    }

    /// <summary>The split a row names, or null when it names none; an unknown name is an error naming the line.</summary>
    public static DatasetSplit? SplitOf(LabeledCsvRow row) =>
        row.Split is not { Length: > 0 } ? null
        : DatasetSplitNames.Parse(row.Split) ?? throw new InvalidDataException($"{row.Where}: split '{row.Split}' is not train, validation, test, query or gallery");

    /// <summary>Splits one CSV line: commas separate fields; double quotes enclose fields, "" is a quote.</summary>
    public static List<string> Split(string line, Func<string, InvalidDataException> error)
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
