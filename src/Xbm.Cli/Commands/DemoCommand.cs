using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Xbm.Configuration;
using Xbm.Data.Glyphs;
using Xbm.IO;
using Xbm.Reporting;
using Xbm.Runtime;
using Xbm.Training;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm demo`: the main job. Trains the same small model without and with the memory preset, same seeds and
/// budget, evaluates both on unseen classes and prints the comparison. The default data is the many-class glyph
/// benchmark (made on first use from Debian's CJK fonts); Fashion-MNIST is the other choice.
/// </summary>
public sealed class DemoCommand : ICliCommand
{
    /// <summary>The Fashion-MNIST folder the Debian package dataset-fashion-mnist installs.</summary>
    public const string DefaultDataRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>Where the demo makes (and then reuses) the glyph benchmark unless --data says otherwise.</summary>
    public const string DefaultGlyphRoot = "data/glyphs";

    private static readonly (string Name, string Config)[] Arms = { ("no memory", "no_memory.yaml"), ("XBM", "xbm.yaml") };

    /// <summary>What differs between the demo's datasets: configs, title, the quick budget and how the data is made ready.</summary>
    private sealed record DemoDataset(string ConfigFolder, string Title, string[] QuickOverrides, string[] QuickMemoryOverrides, string QuickNote);

    private static readonly DemoDataset Glyphs = new("glyphs",
        "Glyphs zero-shot (1,400 training characters, 1,000 unseen test characters)",
        new[] { "iterations=600", "checkpoint.every=0" },
        Array.Empty<string>(),
        "one seed at 600 of the 1,500 iterations, 400 of them with the memory: the 3-seed default is the measurement");

    private static readonly DemoDataset FashionMnist = new("fashion_mnist",
        "Fashion-MNIST zero-shot (train classes 0-4, test classes 5-9)",
        new[] { "iterations=300", "evaluation.every=0", "checkpoint.every=0", "data.max_per_class=1000" },
        new[] { "memory.start_iteration=100" },
        "one seed at 300 iterations on 5 training classes: memory is not expected to help here (docs/memory-study.md)");

    /// <inheritdoc />
    public Command Build()
    {
        var quick = new Option<bool>("--quick") { Description = "one seed and fewer iterations (glyphs 600, Fashion-MNIST 300) to check the setup in under two minutes" };
        var dataset = new Option<string>("--dataset") { Description = "glyphs (the many-class benchmark) or fashion-mnist", DefaultValueFactory = _ => "glyphs" };
        dataset.AcceptOnlyFromAmong("glyphs", "fashion-mnist");
        var data = new Option<DirectoryInfo?>("--data") { Description = $"the glyph benchmark's folder (default {DefaultGlyphRoot}; made there when missing)" };
        var seeds = new Option<int?>("--seeds") { Description = "number of seeds per arm (default 3; 1 with --quick)" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "demo folder (default runs/demo or runs/demo-quick)" };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };
        var configs = new Option<DirectoryInfo?>("--configs") { Description = "folder holding no_memory.yaml and xbm.yaml (default: the shipped configs/glyphs or configs/fashion_mnist)" };
        var set = new Option<string[]>("--set") { Description = "override a key in both arms (repeatable)", DefaultValueFactory = _ => Array.Empty<string>() };

        var command = new Command("demo", "Train without and with the memory preset and compare them on unseen classes (glyph benchmark or Fashion-MNIST)") { quick, dataset, data, seeds, output, device, configs, set };
        command.SetAction(parse =>
        {
            bool isQuick = parse.GetValue(quick);
            int seedCount = parse.GetValue(seeds) ?? (isQuick ? 1 : 3);
            if (seedCount < 1)
                throw new ArgumentException("--seeds must be at least 1");
            string folder = parse.GetValue(output)?.FullName ?? Path.GetFullPath(Path.Combine("runs", isQuick ? "demo-quick" : "demo"));
            OutputTarget.EnsureFolder(folder, parse.GetValue(output) is null ? "demo folder" : "--out");
            bool glyphs = parse.GetValue(dataset) == "glyphs";
            if (!glyphs && parse.GetValue(data) is not null)
                throw new ArgumentException("--data names the glyph benchmark's folder; with --dataset fashion-mnist use --set data.root=DIR");
            var chosen = glyphs ? Glyphs : FashionMnist;
            string configFolder = parse.GetValue(configs)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "configs", chosen.ConfigFolder);
            var overrides = new List<string>();
            if (isQuick)
                overrides.AddRange(chosen.QuickOverrides);
            overrides.AddRange(parse.GetValue(set)!);
            // Own configs (--configs) name their own data, unless --data says where the glyph benchmark is.
            bool ownConfigs = parse.GetValue(configs) is not null;
            if (glyphs && (!ownConfigs || parse.GetValue(data) is not null))
                EnsureGlyphs(overrides, parse.GetValue(data)?.FullName);
            else if (!glyphs && !ownConfigs)
                EnsureData(overrides);
            var memoryOverrides = isQuick ? chosen.QuickMemoryOverrides : Array.Empty<string>();
            string title = ownConfigs ? $"configs in {configFolder}" : chosen.Title;
            return Run(folder, configFolder, seedCount, overrides, memoryOverrides, parse.GetValue(device), title, isQuick ? chosen.QuickNote : null);
        });
        return command;
    }

    private static int Run(string folder, string configFolder, int seeds, IReadOnlyList<string> overrides, IReadOnlyList<string> memoryOverrides, string? device,
        string title, string? quickNote)
    {
        var comparison = new ArmComparison();
        var curves = new Dictionary<string, IReadOnlyList<(double, double)>>();
        foreach (var (arm, file) in Arms)
        {
            var armOverrides = arm == "XBM" ? overrides.Concat(memoryOverrides).ToList() : overrides.ToList();
            var points = new List<(long Iteration, double Value)>();
            for (int seed = 0; seed < seeds; seed++)
            {
                var root = ConfigLoader.Load(Path.Combine(configFolder, file), armOverrides.Append($"seed={seed}"));
                string runFolder = Path.Combine(folder, $"{file.Replace(".yaml", "")}-seed{seed}");
                AnsiConsole.MarkupLineInterpolated($"[bold]{arm}[/], seed {seed}: {runFolder}");
                ProcessMemory.ResetPeak();
                var clock = Stopwatch.StartNew();
                var result = TrainCommand.Train(root, runFolder, device, $"{arm} s{seed}", plainEvery: 250);
                clock.Stop();
                string resultPath = Path.Combine(runFolder, ResultFileName);
                Dictionary<string, double> metrics;
                if (result.Reused && ReadResult(resultPath) is { } recorded)
                {
                    metrics = recorded;
                    AnsiConsole.MarkupLineInterpolated($"{arm}, seed {seed}: finished earlier; reusing its recorded metrics ({resultPath})");
                }
                else
                {
                    metrics = new Dictionary<string, double>(result.FinalMetrics.TryGetValue("test", out var test) ? test : new Dictionary<string, double>())
                    {
                        ["train_seconds"] = result.TrainingSeconds,
                        ["total_seconds"] = clock.Elapsed.TotalSeconds,
                        ["images_per_second"] = result.ImagesPerSecond,
                        ["peak_resident_bytes"] = ProcessMemory.PeakResidentBytes(),
                    };
                    if (result.Reused)
                        AnsiConsole.MarkupLineInterpolated($"{arm}, seed {seed}: finished earlier; reusing its recorded metrics ({Path.Combine(runFolder, Trainer.SummaryFileName)}; train time as recorded, peak memory of this process)");
                    AtomicFile.WriteAllText(resultPath, JsonSerializer.Serialize(metrics.Where(p => double.IsFinite(p.Value)).ToDictionary(p => p.Key, p => p.Value),
                        new JsonSerializerOptions { WriteIndented = true }));
                }
                comparison.Add(new ArmRun(arm, seed, metrics, runFolder));
                points.AddRange(TrainingLog.ReadEvaluations(runFolder).Where(e => e.Split == "test" && e.Metric == "Recall@1").Select(e => (e.Iteration, e.Value)));
            }
            curves[arm] = points.GroupBy(p => p.Iteration).OrderBy(g => g.Key).Select(g => ((double)g.Key, 100 * g.Average(p => p.Value))).ToList();
        }

        Func<double, string> percent = v => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        Func<double, string> seconds = v => v.ToString("F0", CultureInfo.InvariantCulture) + " s";
        Func<double, string> mebibytes = v => (v / (1 << 20)).ToString("F0", CultureInfo.InvariantCulture) + " MiB";
        var columns = new List<(string, string, Func<double, string>)>
        {
            ("Recall@1", "R@1 %", percent), ("Recall@2", "R@2 %", percent), ("Recall@4", "R@4 %", percent), ("Recall@8", "R@8 %", percent),
            ("R-Precision", "R-Prec %", percent), ("MAP@R", "MAP@R %", percent),
            ("train_seconds", "train time", seconds), ("peak_resident_bytes", "peak memory", mebibytes),
        };
        string markdown = comparison.ToMarkdown(columns);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "summary.md"),
            $"# xbm demo: {title}\n\n{markdown}\nOverrides: {string.Join(", ", overrides.Concat(memoryOverrides))}\n");
        AtomicFile.WriteAllText(Path.Combine(folder, "summary.csv"), comparison.ToCsv());
        string plot = Path.Combine(folder, "recall_at_1.png");
        if (curves.Values.Any(c => c.Count > 1))
            CurvePlot.Save(plot, $"{title.Split(" (")[0]}: test Recall@1 (mean over seeds)", "iteration", "Recall@1 (%)", curves);

        var headers = new[] { "arm", "seeds" }.Concat(columns.Select(c => c.Item2)).ToList();
        var rows = comparison.Arms.Select(arm => (IReadOnlyList<string>)new[] { arm, comparison.Runs.Count(r => r.Arm == arm).ToString(CultureInfo.InvariantCulture) }
            .Concat(columns.Select(c =>
            {
                var (mean, std, n) = comparison.Summary(arm, c.Item1);
                return n == 0 ? "-" : n == 1 ? c.Item3(mean) : $"{c.Item3(mean)} ± {c.Item3(std)}";
            })).ToList()).ToList();
        ConsoleTable.WriteGrid($"{title}: no memory vs XBM (mean ± std over seeds)", headers, rows);
        if (quickNote is not null)
        {
            var (withMemory, _, _) = comparison.Summary("XBM", "Recall@1");
            var (without, _, _) = comparison.Summary("no memory", "Recall@1");
            AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] --quick is a set-up check, not a result: {quickNote}. XBM {(withMemory >= without ? "leads" : "trails")} by {Math.Abs(100 * (withMemory - without)):F2} points of R@1 here; run without --quick for the 3-seed comparison.");
        }
        AnsiConsole.MarkupLineInterpolated($"summary: {Path.Combine(folder, "summary.md")} and summary.csv");
        if (File.Exists(plot))
            AnsiConsole.MarkupLineInterpolated($"plot: {plot}");
        AnsiConsole.MarkupLineInterpolated($"runs (metrics.csv, evaluations.csv, tensorboard/, checkpoints/): {folder}/<arm>-seed<N>/");
        return 0;
    }

    /// <summary>The file each demo run records its row of the comparison in (test metrics, times, peak memory).</summary>
    public const string ResultFileName = "demo-result.json";

    private static Dictionary<string, double>? ReadResult(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Makes sure the glyph benchmark is present: reuses <paramref name="folder"/> when its manifest says it is the
    /// default benchmark, otherwise installs missing font packages (as root with apt-get, or says what to run) and
    /// renders it there. A data.root override skips the check.
    /// </summary>
    private static void EnsureGlyphs(List<string> overrides, string? folder)
    {
        if (overrides.Any(o => o.StartsWith("data.root=", StringComparison.Ordinal)))
            return;
        folder ??= Path.GetFullPath(DefaultGlyphRoot);
        overrides.Insert(0, $"data.root={folder}");
        var expected = new GlyphDatasetOptions { Output = folder, ValidationFraction = GlyphDatasetOptions.BenchmarkValidationFraction };
        string manifestPath = Path.Combine(folder, GlyphDatasetGenerator.ManifestFile);
        if (File.Exists(manifestPath))
        {
            var manifest = GlyphDatasetManifest.Read(manifestPath);
            string made = string.Join(", ", manifest.Splits.Select(s => $"{s.Name} {s.Classes}"));
            int validation = GlyphSplit.ValidationCount(expected.TrainClasses, expected.ValidationFraction);
            string wanted = $"train {expected.TrainClasses - validation}, validation {validation}, test {expected.TestClasses}";
            if (made != wanted || manifest.Seed != expected.Seed || manifest.Size != expected.Size || manifest.MinDesigns != expected.MinDesigns)
                throw new ConfigException($"{manifestPath}: this glyph benchmark was made with other options ({made} characters, seed {manifest.Seed}, size {manifest.Size}); " +
                    $"the demo's is the default of `xbm datasets make glyphs` ({wanted}, seed {expected.Seed}, size {expected.Size}). Remove the folder or pass --data with another one");
            AnsiConsole.MarkupLineInterpolated($"glyph benchmark: {folder} ({made} characters)");
            return;
        }
        InstallMissingFonts();
        AnsiConsole.MarkupLineInterpolated($"glyph benchmark: rendering it into {folder} (once; later demos reuse it)");
        if (MakeGlyphsCommand.Run(expected) != 0)
            throw new ConfigException($"{folder}: the glyph benchmark could not be made");
    }

    /// <summary>Installs the glyph benchmark's missing font packages when running as root with apt-get; otherwise leaves the generator to name them.</summary>
    private static void InstallMissingFonts()
    {
        var missing = GlyphFonts.Packages(GlyphFonts.All.Where(f => !File.Exists(GlyphTypefaces.PathOf(f, GlyphFonts.DefaultRoot)))).ToList();
        if (missing.Count == 0 || Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
            return;
        AnsiConsole.MarkupLineInterpolated($"installing the glyph benchmark's font packages: {string.Join(" ", missing)}");
        RunAptGet("update -qq", "install -y -qq --no-install-recommends " + string.Join(" ", missing));
    }

    private static void RunAptGet(params string[] commands)
    {
        foreach (string arguments in commands)
        {
            using var process = Process.Start(new ProcessStartInfo("apt-get", arguments) { UseShellExecute = false })!;
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new ConfigException($"apt-get {arguments} failed (exit {process.ExitCode}); install the packages by hand");
        }
    }

    /// <summary>
    /// Makes sure Fashion-MNIST is present: installs the Debian package when running as root with apt-get,
    /// otherwise says exactly what to run. A data.root override skips the check.
    /// </summary>
    private static void EnsureData(IReadOnlyList<string> overrides)
    {
        if (overrides.Any(o => o.StartsWith("data.root=", StringComparison.Ordinal)) || Directory.Exists(DefaultDataRoot))
            return;
        bool root = Environment.UserName == "root" && File.Exists("/usr/bin/apt-get");
        if (!root)
            throw new ConfigException($"Fashion-MNIST is not installed ({DefaultDataRoot} is missing). Run: sudo apt-get install -y dataset-fashion-mnist (or pass --set data.root=DIR with the four idx files)");
        AnsiConsole.MarkupLine("Fashion-MNIST is missing: installing the Debian package dataset-fashion-mnist ...");
        RunAptGet("update -qq", "install -y -qq dataset-fashion-mnist");
    }
}
