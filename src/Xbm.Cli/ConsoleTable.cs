using Spectre.Console;

namespace Xbm.Cli;

/// <summary>
/// Console tables that read right at any width: the title is printed as a line of its own (it wraps between words
/// instead of being cut to the table's width), number columns never fold inside a number, and paths in titles are
/// shortened by whole folders.
/// </summary>
public static class ConsoleTable
{
    /// <summary>A right-aligned column whose cells never wrap (numbers, percentages).</summary>
    public static TableColumn Number(string header) => new TableColumn(Markup.Escape(header)).RightAligned().NoWrap();

    /// <summary>Writes <paramref name="title"/> (plain text, optional) on its own line, then <paramref name="table"/>.</summary>
    public static void Write(string? title, Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!string.IsNullOrEmpty(title))
            AnsiConsole.MarkupLine("[bold]" + Markup.Escape(title) + "[/]");
        AnsiConsole.Write(table);
    }

    /// <summary>
    /// Writes a grid of text: one row per item, first column its name. When the console is too narrow for every
    /// column at its full width, the grid is written transposed (one column per item, one row per column), and when
    /// that does not fit either, as one line per item ("name: header value, ..."), so no value is ever folded, cut or
    /// dropped.
    /// </summary>
    /// <param name="title">Printed on its own line above the table (optional).</param>
    /// <param name="headers">Column headers, the first naming the items.</param>
    /// <param name="rows">One row per item, as many cells as headers; markup is escaped.</param>
    public static void WriteGrid(string? title, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Any(r => r.Count != headers.Count))
            throw new ArgumentException($"every row needs {headers.Count} cells", nameof(rows));
        int width = AnsiConsole.Profile.Width;
        bool wide = Width(headers, rows) <= width;
        var transposed = Enumerable.Range(1, headers.Count - 1)
            .Select(c => (IReadOnlyList<string>)new[] { headers[c] }.Concat(rows.Select(r => r[c])).ToList()).ToList();
        if (!wide && Width(new[] { headers[0] }.Concat(rows.Select(r => r[0])).ToList(), transposed) > width)
        {
            if (!string.IsNullOrEmpty(title))
                AnsiConsole.MarkupLine("[bold]" + Markup.Escape(title) + "[/]");
            // Lines break only between "header value" entries, indented under the item's name.
            foreach (var row in rows)
            {
                var line = new System.Text.StringBuilder(row[0] + ":");
                for (int c = 1; c < headers.Count; c++)
                {
                    string entry = $" {headers[c]} {row[c]}{(c < headers.Count - 1 ? "," : "")}";
                    if (line.Length + entry.Length > width && line.Length > 2)
                    {
                        AnsiConsole.WriteLine(line.ToString());
                        line.Clear().Append(' ');
                    }
                    line.Append(entry);
                }
                AnsiConsole.WriteLine(line.ToString());
            }
            return;
        }
        var table = new Table();
        if (wide)
        {
            table.AddColumn(new TableColumn(Markup.Escape(headers[0])).NoWrap());
            foreach (string header in headers.Skip(1))
                table.AddColumn(Number(header));
            foreach (var row in rows)
                table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        else
        {
            table.AddColumn(new TableColumn(Markup.Escape(headers[0])).NoWrap());
            foreach (var row in rows)
                table.AddColumn(Number(row[0]));
            foreach (var row in transposed)
                table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        Write(title, table);
    }

    /// <summary>The width of a bordered table with every cell on one line: per column its widest cell plus padding and a border.</summary>
    private static int Width(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows) =>
        1 + Enumerable.Range(0, headers.Count).Sum(c => 3 + rows.Select(r => r[c].Length).Append(headers[c].Length).Max());

    /// <summary>A path shortened to fit a title or cell line of the console (about two thirds of its width, at least 40 characters).</summary>
    public static string FitPath(string path) => ShortPath.Fit(path, Math.Max(40, AnsiConsole.Profile.Width * 2 / 3));
}
