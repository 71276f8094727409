using System.CommandLine;
using Spectre.Console;
using Xbm.Data;
using Xbm.Data.Manifest;

namespace Xbm.Cli.Commands;

/// <summary>
/// <c>xbm datasets list</c> shows the supported layouts; <c>xbm datasets check --dataset NAME --root DIR</c>
/// reads a download, reports image and class counts per split, and lists missing (with <c>--decode</c>, also
/// unreadable) files with their list file and line. Exit code 1 when errors were found.
/// <c>xbm datasets export fashion_mnist --out DIR</c> writes Fashion-MNIST images as PNG files, a folder per class.
/// <c>xbm datasets make glyphs</c> generates the many-class glyph benchmark (<see cref="MakeGlyphsCommand"/>).
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
        command.Add(BuildExport());
        command.Add(MakeGlyphsCommand.Build());
        return command;
    }

    private static Command BuildList()
    {
        var list = new Command("list", "Show the supported dataset layouts and their protocols");
        list.SetAction(_ =>
        {
            var table = new Table().AddColumn("dataset").AddColumn("protocol").AddColumn("expected files");
            table.AddRow(FashionMnist.Name, Markup.Escape("classes 0–4 train, 5–9 test (zero-shot), each test image searched against the others; built in, `xbm demo` uses it"),
                Markup.Escape($"the four IDX files (.gz or not) in <root>, by default {FashionMnist.DefaultRoot} (Debian package dataset-fashion-mnist)"));
            foreach (var reader in DatasetReaderFactory.All)
                table.AddRow(Markup.Escape(reader.Name), Markup.Escape(reader.Description), Markup.Escape(reader.Layout));
            AnsiConsole.Write(table);
            return 0;
        });
        return list;
    }

    private static Command BuildExport()
    {
        var dataset = new Argument<string>("dataset") { Description = "the dataset to export (fashion_mnist)" };
        dataset.AcceptOnlyFromAmong(FashionMnist.Name);
        var output = new Option<DirectoryInfo>("--out") { Description = "a new folder: one subfolder of PNG files per class", Required = true };
        var split = new Option<string>("--split") { Description = "all, train (classes 0–4) or test (classes 5–9)", DefaultValueFactory = _ => "all" };
        split.AcceptOnlyFromAmong(FashionMnistExport.Splits.ToArray());
        var max = new Option<int?>("--max-per-class") { Description = "at most this many images per class (the first in file order)" };
        var root = new Option<string>("--root") { Description = "folder of the four IDX files", DefaultValueFactory = _ => FashionMnist.DefaultRoot };
        var export = new Command("export", "Write a dataset's images as PNG files in a folder per class (for the folder dataset, embed and search)")
        {
            dataset, output, split, max, root,
        };
        export.SetAction(parse =>
        {
            string folder = parse.GetValue(output)!.FullName;
            var counts = FashionMnistExport.Export(parse.GetValue(root)!, folder, parse.GetValue(split)!, parse.GetValue(max));
            AnsiConsole.MarkupLineInterpolated($"wrote {counts.Values.Sum()} PNG images in {counts.Count} class folders to {folder}");
            foreach (var (name, count) in counts)
                AnsiConsole.MarkupLineInterpolated($"  {name}: {count}");
            return 0;
        });
        return export;
    }

    private static Command BuildCheck()
    {
        var dataset = new Option<string>("--dataset") { Description = $"Layout: {string.Join(", ", DatasetReaderFactory.Names)}", Required = true };
        var root = new Option<string>("--root") { Description = "The dataset's root folder (for csv: the CSV file or a folder with manifest.csv)", Required = true };
        var decode = new Option<bool>("--decode") { Description = "Decode every image in full (slower); by default each image's header and end marker are read" };
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
        IDatasetReader reader = name == "inshop" ? new InShopReader(Math.Max(1, parse.GetValue(minTrain))) : DatasetReaderFactory.Create(name);
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
        var table = new Table().AddColumn("split").AddColumn(ConsoleTable.Number("images")).AddColumn(ConsoleTable.Number("classes"));
        foreach (var count in report.Counts)
            table.AddRow(Markup.Escape(count.Part.Name), count.Images.ToString("N0"), count.Classes.ToString("N0"));
        AnsiConsole.Write(table);
        foreach (var protocol in manifest.Protocols)
            AnsiConsole.MarkupLineInterpolated($"protocol [bold]{protocol.Name}[/]: {protocol.Queries.Name}{(protocol.Gallery is null ? " (self-retrieval)" : $" -> {protocol.Gallery.Name}")}, Recall@{string.Join(",", protocol.RecallAt)}");
        foreach (string note in manifest.Notes)
            AnsiConsole.MarkupLineInterpolated($"[blue]note:[/] {note}");
        foreach (string warning in manifest.Warnings)
            AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");

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
