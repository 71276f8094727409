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

    /// <summary>A path shortened to fit a title or cell line of the console (about two thirds of its width, at least 40 characters).</summary>
    public static string FitPath(string path) => ShortPath.Fit(path, Math.Max(40, AnsiConsole.Profile.Width * 2 / 3));
}
