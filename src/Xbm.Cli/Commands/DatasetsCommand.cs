using System.CommandLine;
using Spectre.Console;
using Xbm.Data.Manifest;

namespace Xbm.Cli.Commands;

/// <summary>
/// <c>xbm datasets list</c> shows the supported layouts; <c>xbm datasets check --dataset NAME --root DIR</c>
/// reads a download, reports image and class counts per split, and lists missing (with <c>--decode</c>, also
/// unreadable) files with their list file and line. Exit code 1 when errors were found. <c>xbm datasets make glyphs</c>
/// generates the many-class glyph benchmark (<see cref="MakeGlyphsCommand"/>).
/// </summary>
public sealed class DatasetsCommand : ICliCommand
{
    private const int ShownProblems = 50;

    /// <inheritdoc/>
    public Command Build()
    {
        var command = new Command("datasets", "Dataset layouts: list the supported ones, check a download, make the glyph benchmark");
        command.Add(BuildList());
        command.Add(BuildCheck());
        command.Add(MakeGlyphsCommand.Build());
        return command;
    }

    private static Command BuildList()
    {
        var list = new Command("list", "Show the supported dataset layouts and their protocols");
        list.SetAction(_ =>
        {
            var table = new Table().AddColumn("dataset").AddColumn("protocol").AddColumn("expected files");
            foreach (var reader in DatasetReaders.All)
                table.AddRow(Markup.Escape(reader.Name), Markup.Escape(reader.Description), Markup.Escape(reader.Layout));
            AnsiConsole.Write(table);
            return 0;
        });
        return list;
    }

    private static Command BuildCheck()
    {
        var dataset = new Option<string>("--dataset") { Description = $"Layout: {string.Join(", ", DatasetReaders.Names)}", Required = true };
        var root = new Option<string>("--root") { Description = "The dataset's root folder (for csv: the CSV file or a folder with manifest.csv)", Required = true };
        var decode = new Option<bool>("--decode") { Description = "Also decode every image to find unreadable ones (slower)" };
        var workers = new Option<int>("--workers") { Description = "Threads for the file checks", DefaultValueFactory = _ => Environment.ProcessorCount };
        var minTrain = new Option<int>("--inshop-min-train-images")
        {
            Description = "In-Shop: drop training items with fewer images (1 keeps all)",
            DefaultValueFactory = _ => 2,
        };
        var check = new Command("check", "Validate a dataset download: counts per split, missing or unreadable files (with list file and line)")
        {
            dataset, root, decode, workers, minTrain,
        };
        check.SetAction(parse =>
        {
            try
            {
                return Check(parse, dataset, root, decode, workers, minTrain);
            }
            catch (Exception e) when (CliApp.UserError(e) is string message)
            {
                // A malformed list or a missing list file: the message names the file and line.
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
                return 2;
            }
        });
        return check;
    }

    private static int Check(ParseResult parse, Option<string> dataset, Option<string> root, Option<bool> decode, Option<int> workers, Option<int> minTrain)
    {
        string name = parse.GetValue(dataset)!;
        IDatasetReader reader = name == "inshop" ? new InShopReader(Math.Max(1, parse.GetValue(minTrain))) : DatasetReaders.Create(name);
        var manifest = reader.Read(parse.GetValue(root)!);
        var report = ManifestValidator.Validate(manifest, new ManifestValidationOptions
        {
            DecodeImages = parse.GetValue(decode),
            Workers = Math.Max(1, parse.GetValue(workers)),
        });
        Print(report);
        return report.HasErrors ? 1 : 0;
    }

    private static void Print(ManifestReport report)
    {
        var manifest = report.Manifest;
        AnsiConsole.MarkupLineInterpolated($"[bold]{manifest.Name}[/] at {manifest.Root}");
        var table = new Table().AddColumn("split").AddColumn(new TableColumn("images").RightAligned()).AddColumn(new TableColumn("classes").RightAligned());
        foreach (var count in report.Counts)
            table.AddRow(Markup.Escape(count.Part.Name), count.Images.ToString("N0"), count.Classes.ToString("N0"));
        AnsiConsole.Write(table);
        foreach (var protocol in manifest.Protocols)
            AnsiConsole.MarkupLineInterpolated($"protocol [bold]{protocol.Name}[/]: {protocol.Queries.Name}{(protocol.Gallery is null ? " (self-retrieval)" : $" -> {protocol.Gallery.Name}")}, Recall@{string.Join(",", protocol.RecallAt)}");
        foreach (string note in manifest.Notes)
            AnsiConsole.MarkupLineInterpolated($"[blue]note:[/] {note}");

        foreach (var group in report.Problems.GroupBy(p => (p.Severity, p.Kind)).OrderByDescending(g => g.Key.Severity))
        {
            var items = group.ToList();
            string color = group.Key.Severity == ProblemSeverity.Error ? "red" : "yellow";
            AnsiConsole.MarkupLineInterpolated($"[{color}]{group.Key.Severity.ToString().ToLowerInvariant()}s ({group.Key.Kind}): {items.Count}[/]");
            foreach (var problem in items.Take(ShownProblems))
                AnsiConsole.MarkupLineInterpolated($"  {problem}");
            if (items.Count > ShownProblems)
                AnsiConsole.MarkupLineInterpolated($"  ... and {items.Count - ShownProblems} more");
        }
        int errors = report.Errors.Count();
        if (errors == 0)
            AnsiConsole.MarkupLine("[green]ok:[/] no errors");
        else
            AnsiConsole.MarkupLineInterpolated($"[red]{errors} error(s)[/]");
    }
}
