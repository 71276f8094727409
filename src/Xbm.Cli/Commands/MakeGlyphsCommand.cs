using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Xbm.Data.Glyphs;

namespace Xbm.Cli.Commands;

/// <summary>
/// <c>xbm datasets make glyphs --out DIR</c>: writes the many-class glyph benchmark (a class per CJK character,
/// an instance per typeface from Debian's font packages) in the folder or CSV layout, with a manifest.json.
/// Built into <see cref="DatasetsCommand"/>.
/// </summary>
public static class MakeGlyphsCommand
{
    /// <summary>Builds the <c>make</c> command with its <c>glyphs</c> subcommand.</summary>
    public static Command Build()
    {
        var make = new Command("make", "Generate a dataset");
        make.Add(BuildGlyphs());
        make.Add(MakeMovingFashionCommand.Build());
        return make;
    }

    private static Command BuildGlyphs()
    {
        var defaults = new GlyphDatasetOptions { Output = "." };
        var output = new Option<string>("--out") { Description = "The folder to write (rendered under a temporary name, then renamed)", Required = true };
        var size = new Option<int>("--size") { Description = "Image side in pixels", DefaultValueFactory = _ => defaults.Size };
        var seed = new Option<int>("--seed") { Description = "Seed of the split and of each image's variation", DefaultValueFactory = _ => defaults.Seed };
        var train = new Option<int>("--train-classes") { Description = "Training characters (validation included)", DefaultValueFactory = _ => defaults.TrainClasses };
        var test = new Option<int>("--test-classes") { Description = "Test characters", DefaultValueFactory = _ => defaults.TestClasses };
        var validation = new Option<double>("--validation") { Description = "Share of the training characters moved to a validation split (0: none)", DefaultValueFactory = _ => GlyphDatasetOptions.BenchmarkValidationFraction };
        var minDesigns = new Option<int>("--min-designs") { Description = "Use only characters that at least this many designs draw", DefaultValueFactory = _ => defaults.MinDesigns };
        var layout = new Option<string>("--layout") { Description = "folder (train/, test/ with a folder per class) or csv (manifest.csv)", DefaultValueFactory = _ => "folder" };
        layout.AcceptOnlyFromAmong("folder", "csv");
        var designs = new Option<string?>("--designs") { Description = "Comma-separated design names to use (default: every design of the table)" };
        var fontRoot = new Option<string>("--font-root") { Description = "Where the font files are looked up", DefaultValueFactory = _ => GlyphFonts.DefaultRoot };
        var workers = new Option<int>("--workers") { Description = "Rendering threads (0: one per core)", DefaultValueFactory = _ => 0 };
        var glyphs = new Command("glyphs", "Many-class benchmark: CJK characters as classes, Debian's CJK typefaces as instances (zero-shot split by character)")
        {
            output, size, seed, train, test, validation, minDesigns, layout, designs, fontRoot, workers,
        };
        glyphs.SetAction(parse =>
        {
            try
            {
                var options = new GlyphDatasetOptions
                {
                    Output = parse.GetValue(output)!,
                    Size = parse.GetValue(size),
                    Seed = parse.GetValue(seed),
                    TrainClasses = parse.GetValue(train),
                    TestClasses = parse.GetValue(test),
                    ValidationFraction = parse.GetValue(validation),
                    MinDesigns = parse.GetValue(minDesigns),
                    Layout = parse.GetValue(layout) == "csv" ? GlyphLayout.Csv : GlyphLayout.Folder,
                    FontRoot = parse.GetValue(fontRoot)!,
                    Fonts = Select(parse.GetValue(designs)),
                    Workers = parse.GetValue(workers),
                };
                return Run(options);
            }
            catch (Exception e) when (CliApp.UserError(e) is string message)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
                return 2;
            }
        });
        return glyphs;
    }

    /// <summary>The table's instances of the named designs (all when <paramref name="designs"/> is empty).</summary>
    private static IReadOnlyList<GlyphFont> Select(string? designs)
    {
        if (string.IsNullOrWhiteSpace(designs))
            return GlyphFonts.All;
        var names = designs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var known = GlyphFonts.All.Select(f => f.Design).Distinct().ToList();
        foreach (string name in names)
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"--designs: unknown design '{name}' (known: {string.Join(", ", known)})");
        return GlyphFonts.All.Where(f => names.Contains(f.Design, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>Renders the benchmark with a progress bar and prints its splits (also used by `xbm demo`).</summary>
    internal static int Run(GlyphDatasetOptions options)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        // Say which fonts are skipped before the minutes of rendering, not after (with too few designs, the
        // generator's one-line error names the packages instead).
        using (var typefaces = GlyphTypefaces.Open(options.Fonts, options.FontRoot))
            foreach (var skipped in typefaces.DesignCount >= options.MinDesigns ? typefaces.Missing : [])
                AnsiConsole.MarkupLineInterpolated($"[yellow]skipped:[/] {GlyphTypefaces.PathOf(skipped, options.FontRoot)} ({skipped.Design} {skipped.Weight}) is not installed: apt-get install -y --no-install-recommends {skipped.Package}");
        GlyphDatasetManifest? manifest = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("rendering glyphs", autoStart: false);
                manifest = GlyphDatasetGenerator.Generate(options,
                    plan: total =>
                    {
                        task.MaxValue = Math.Max(1, total);
                        task.StartTask();
                    },
                    progress: done => task.Value = Math.Max(task.Value, done));
                task.Value = task.MaxValue;
            });
        clock.Stop();

        var table = new Table().AddColumn("split").AddColumn(new TableColumn("classes").RightAligned()).AddColumn(new TableColumn("images").RightAligned());
        foreach (var split in manifest!.Splits)
            table.AddRow(split.Name, split.Classes.ToString("N0"), split.Images.ToString("N0"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(
            $"[green]ok:[/] {manifest.Fonts.Count} typefaces of {manifest.Designs} designs, {manifest.EligibleCharacters:N0} characters drawn by at least {manifest.MinDesigns} designs; wrote {Path.GetFullPath(options.Output)} ({manifest.Layout} layout) in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
