using System.CommandLine;
using Spectre.Console;
using Xbm.IO;
using Xbm.Reporting;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm report`: writes a self-contained HTML report (report.html and PNG plots) of one or more runs: curves,
/// final metrics, configuration differences, memory and drift statistics, retrieval examples.
/// </summary>
public sealed class ReportCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var runs = new Argument<DirectoryInfo[]>("runs") { Description = "run folders (written by xbm train or xbm demo)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<DirectoryInfo?>("--out") { Description = "report folder (default RUN/report for one run, ./report for several)" };
        var title = new Option<string?>("--title") { Description = "report title" };
        var inline = new Option<bool>("--inline") { Description = "embed the images in report.html (one file to share)" };
        var noGrid = new Option<bool>("--no-grid") { Description = "skip the retrieval grids (they embed each run's test protocol)" };
        var gridQueries = new Option<int>("--grid-queries") { Description = "queries per retrieval grid", DefaultValueFactory = _ => 8 };
        var gridK = new Option<int>("--grid-k") { Description = "retrieved items per query in the grid", DefaultValueFactory = _ => 5 };
        var seed = new Option<ulong>("--seed") { Description = "seed that picks the grid's queries", DefaultValueFactory = _ => 0UL };
        var dataRoot = new Option<DirectoryInfo?>("--data-root") { Description = "dataset folder for the grids (overrides the stored data.root)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key for the grids, repeatable", DefaultValueFactory = _ => Array.Empty<string>() };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };

        var command = new Command("report", "Write an HTML report with plots and tables of one or more runs")
            { runs, output, title, inline, noGrid, gridQueries, gridK, seed, dataRoot, set, device };
        command.SetAction(parse =>
        {
            var folders = parse.GetValue(runs)!;
            foreach (var folder in folders.Where(f => !f.Exists))
                throw new DirectoryNotFoundException($"{folder.FullName}: no such run folder");
            if (parse.GetValue(gridQueries) < 1 || parse.GetValue(gridK) < 1)
                throw new ArgumentException("--grid-queries and --grid-k must be at least 1");
            string target = parse.GetValue(output)?.FullName
                ?? (folders.Length == 1 ? Path.Combine(folders[0].FullName, "report") : Path.GetFullPath("report"));
            OutputTarget.EnsureFolder(target, parse.GetValue(output) is null ? "report folder" : "--out");
            var options = new ReportOptions
            {
                Title = parse.GetValue(title) ?? (folders.Length == 1 ? $"XBM.NET report: {folders[0].Name}" : $"XBM.NET report: {string.Join(", ", folders.Select(f => f.Name))}"),
                InlineImages = parse.GetValue(inline),
                RetrievalGrids = !parse.GetValue(noGrid),
                GridQueries = parse.GetValue(gridQueries),
                GridNeighbours = parse.GetValue(gridK),
                Seed = parse.GetValue(seed),
                Overrides = EmbedCommand.Overrides(parse.GetValue(set)!, parse.GetValue(dataRoot)),
                Device = parse.GetValue(device),
                Log = message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"),
            };
            var result = RunReport.Write(folders.Select(f => f.FullName).ToList(), target, options);
            foreach (string note in result.Notes)
                AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] {note}");
            AnsiConsole.MarkupLineInterpolated($"report: {result.HtmlPath} ({result.Images.Count} images, {result.Tables} tables)");
            return 0;
        });
        return command;
    }
}
