using System.Globalization;

namespace Xbm.Reporting;

/// <summary>
/// A CSV file of numbers with a header line (metrics.csv, drift.csv): empty cells are missing values (NaN).
/// Errors name the file and line.
/// </summary>
public sealed class NumericCsv
{
    private readonly Dictionary<string, int> _columns;

    private NumericCsv(string path, IReadOnlyList<string> header, List<double[]> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
        _columns = header.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Rows of values (NaN for empty cells), in file order.</summary>
    public IReadOnlyList<double[]> Rows { get; }

    /// <summary>True when the file has the column.</summary>
    public bool Has(string column) => _columns.ContainsKey(column);

    /// <summary>Reads <paramref name="path"/>; <paramref name="required"/> columns must be present.</summary>
    public static NumericCsv Read(string path, params string[] required)
    {
        using var reader = new StreamReader(path);
        string? first = reader.ReadLine();
        if (first is null)
            throw new InvalidDataException($"{path}:1: the file is empty (expected a header line)");
        var header = first.Split(',').Select(h => h.Trim()).ToArray();
        foreach (string column in required)
            if (!header.Contains(column))
                throw new InvalidDataException($"{path}:1: no column '{column}' in the header ({first})");
        var rows = new List<double[]>();
        int lineNumber = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            var cells = line.Split(',');
            if (cells.Length != header.Length)
                throw new InvalidDataException($"{path}:{lineNumber}: {cells.Length} fields, the header has {header.Length}");
            var values = new double[cells.Length];
            for (int i = 0; i < cells.Length; i++)
            {
                string cell = cells[i].Trim();
                if (cell.Length == 0)
                    values[i] = double.NaN;
                else if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                    throw new InvalidDataException($"{path}:{lineNumber}: column '{header[i]}': '{cell}' is not a number");
            }
            rows.Add(values);
        }
        return new NumericCsv(path, header, rows);
    }

    /// <summary>The finite (x, y) points of column <paramref name="y"/> against column <paramref name="x"/>; empty when either is absent.</summary>
    public IReadOnlyList<(double X, double Y)> Series(string x, string y, Func<double[], bool>? where = null)
    {
        if (!_columns.TryGetValue(x, out int xi) || !_columns.TryGetValue(y, out int yi))
            return Array.Empty<(double, double)>();
        return Rows.Where(r => double.IsFinite(r[xi]) && double.IsFinite(r[yi]) && (where?.Invoke(r) ?? true)).Select(r => (r[xi], r[yi])).ToList();
    }

    /// <summary>The value of <paramref name="column"/> in <paramref name="row"/>.</summary>
    public double Value(double[] row, string column) => row[_columns[column]];
}
