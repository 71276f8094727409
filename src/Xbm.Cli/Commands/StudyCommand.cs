using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Xbm.Configuration;
using Xbm.IO;
using Xbm.Reporting;
using Xbm.Studies;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm study`: the papers' ablations in miniature, each a list of arms run over seeds by <see cref="StudyRunner"/>,
/// writing summary.md (mean ± std and per seed), summary.csv and a PNG plot into the study folder.
/// Subcommands: memory-size (R@1 against memory size, 0 = no memory), memory-kind (none, XBM, XBM*,
/// momentum, XBN, adaptive XBN), weights (pair-weight curves without and with memory) and arms (any list of
/// arms given on the command line).
/// </summary>
public sealed class StudyCommand : ICliCommand
{
    /// <summary>The memory-kind study's arms: name and overrides, by key of --kinds.</summary>
    public static IReadOnlyList<(string Key, StudyArm Arm)> MemoryKindArms { get; } = new[]
    {
        ("none", new StudyArm("no memory", new[] { "memory=none" })),
        ("xbm", new StudyArm("XBM (memory loss only)", new[] { "memory.kind=fifo", "memory.memory_loss_only=true" })),
        ("xbm*", new StudyArm("XBM* (batch + memory)", new[] { "memory.kind=fifo", "memory.memory_loss_only=false" })),
        ("momentum", new StudyArm("momentum bank", new[] { "memory.kind=momentum", "memory.size=~", "memory.memory_loss_only=false" })),
        ("xbn", new StudyArm("XBN", new[] { "memory.kind=xbn", "memory.memory_loss_only=false" })),
        ("adaptive_xbn", new StudyArm("adaptive XBN", new[] { "memory.kind=adaptive_xbn", "memory.memory_loss_only=false" })),
    };

    /// <inheritdoc />
    public Command Build()
    {
        var command = new Command("study", "Ablation studies (arms × seeds): tables, CSV and plots");
        command.Add(BuildMemorySize());
        command.Add(BuildMemoryKind());
        command.Add(BuildArms());
        command.Add(BuildWeights());
        return command;
    }

    private sealed record Common(Option<FileInfo> Config, Option<string[]> Set, Option<int> Seeds, Option<DirectoryInfo?> Output,
        Option<string?> Device, Option<bool> FullMetrics, Option<string> Splits)
    {
        public static Common Create(Command command)
        {
            var common = new Common(
                new Option<FileInfo>("--config") { Description = "the configuration every arm starts from", Required = true },
                new Option<string[]>("--set") { Description = "override a key in every arm, e.g. --set iterations=1000 (repeatable)", DefaultValueFactory = _ => Array.Empty<string>() },
                new Option<int>("--seeds") { Description = "seeds per arm (0, 1, ...)", DefaultValueFactory = _ => 3 },
                new Option<DirectoryInfo?>("--out") { Description = "study folder (default runs/study-<name>); finished runs in it are reused" },
                new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" },
                new Option<bool>("--full-metrics") { Description = "also R-Precision and MAP@R (slow on large splits: they need R neighbours per query)" },
                new Option<string>("--splits") { Description = "splits evaluated after training: validation,test (validation only when the data has one)", DefaultValueFactory = _ => "validation,test" });
            command.Add(common.Config);
            command.Add(common.Set);
            command.Add(common.Seeds);
            command.Add(common.Output);
            command.Add(common.Device);
            command.Add(common.FullMetrics);
            command.Add(common.Splits);
            return common;
        }

        public StudyRunner Runner(ParseResult parse, string study)
        {
            int seeds = parse.GetValue(Seeds);
            if (seeds < 1)
                throw new ArgumentException("--seeds must be at least 1");
            OutputTarget.EnsureFolder(Folder(parse, study), parse.GetValue(Output) is null ? "study folder" : "--out");
            ConsoleProgress? progress = null;
            return new StudyRunner(new StudyOptions
            {
                ConfigPath = parse.GetValue(Config)!.FullName,
                Overrides = parse.GetValue(Set)!,
                Seeds = Enumerable.Range(0, seeds).Select(s => (long)s).ToArray(),
                Folder = parse.GetValue(Output)?.FullName ?? Path.GetFullPath(Path.Combine("runs", $"study-{study}")),
                Device = parse.GetValue(Device),
                FullMetrics = parse.GetValue(FullMetrics),
                Splits = parse.GetValue(Splits)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            }, (label, iterations) => progress = new ConsoleProgress(label, iterations) { PlainEvery = 250 })
            {
                Log = line => AnsiConsole.MarkupLineInterpolated($"[bold]{line}[/]"),
                Wrap = (_, train) => progress is null ? train() : progress.Run(train),
                Cancel = Interruption.Token,
            };
        }

        public string Folder(ParseResult parse, string study) => parse.GetValue(Output)?.FullName ?? Path.GetFullPath(Path.Combine("runs", $"study-{study}"));
    }

    private static Command BuildMemorySize()
    {
        var command = new Command("memory-size", "Recall@1 against memory size (0 = no memory) at the config's batch size (the XBM paper's memory-size ablation)");
        var common = Common.Create(command);
        var sizes = new Option<string>("--sizes") { Description = "memory sizes, comma-separated (0 = no memory)", DefaultValueFactory = _ => "0,1000,5000,35000" };
        command.Add(sizes);
        command.SetAction(parse =>
        {
            var values = ParseSizes(parse.GetValue(sizes)!);
            var runner = common.Runner(parse, "memory-size");
            var root = ConfigLoader.Load(parse.GetValue(common.Config)!.FullName, parse.GetValue(common.Set));
            var arms = values.Select(size => SizeArm(size, HasMemory(root))).ToList();
            var comparison = runner.Run(arms);
            string folder = common.Folder(parse, "memory-size");
            var series = new Dictionary<string, IReadOnlyList<(double, double)>>();
            foreach (string split in new[] { "validation", "test" })
            {
                var points = values.Select((size, i) => ((double)size, 100 * comparison.Summary(arms[i].Name, $"{split}/Recall@1").Mean))
                    .Where(p => double.IsFinite(p.Item2)).ToList();
                if (points.Count > 0)
                    series[$"{split} (mean over seeds)"] = points;
            }
            CurvePlot.Save(Path.Combine(folder, "recall_vs_memory_size.png"), "Recall@1 against memory size", "memory size (rows; 0 = no memory)", "Recall@1 (%)", series);
            Finish(runner, comparison, folder, "Memory-size study: Recall@1 against memory size", "recall_vs_memory_size.png");
            return 0;
        });
        return command;
    }

    private static Command BuildMemoryKind()
    {
        var command = new Command("memory-kind", "Compare memory kinds (none, XBM loss-only, XBM*, momentum, XBN, adaptive XBN) over seeds (the XBN paper's comparison)");
        var common = Common.Create(command);
        var kinds = new Option<string>("--kinds") { Description = $"arms to run, comma-separated: {string.Join(", ", MemoryKindArms.Select(a => a.Key))}", DefaultValueFactory = _ => string.Join(',', MemoryKindArms.Select(a => a.Key)) };
        command.Add(kinds);
        command.SetAction(parse =>
        {
            var wanted = parse.GetValue(kinds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var arms = wanted.Select(k => MemoryKindArms.FirstOrDefault(a => a.Key == k).Arm
                ?? throw new ArgumentException($"--kinds: unknown arm '{k}' (expected: {string.Join(", ", MemoryKindArms.Select(a => a.Key))})")).ToList();
            var runner = common.Runner(parse, "memory-kind");
            var comparison = runner.Run(arms);
            string folder = common.Folder(parse, "memory-kind");
            SaveBars(comparison, Path.Combine(folder, "recall_by_memory_kind.png"), "Recall@1 by memory kind (mean ± std over seeds)");
            Finish(runner, comparison, folder, "Memory-kind study: Recall@1 by memory kind", "recall_by_memory_kind.png");
            return 0;
        });
        return command;
    }

    private static Command BuildArms()
    {
        var command = new Command("arms", "Run any list of arms over seeds, e.g. --arm \"mean: loss.reduction=mean\" --arm \"late: memory.start_iteration=1000\"");
        var common = Common.Create(command);
        var arm = new Option<string[]>("--arm") { Description = "an arm: \"NAME: key=value; key=value\" (repeatable; \"NAME\" alone = the config as is)", Required = true };
        command.Add(arm);
        command.SetAction(parse =>
        {
            var arms = parse.GetValue(arm)!.Select(StudyArm.Parse).ToList();
            var runner = common.Runner(parse, "arms");
            var comparison = runner.Run(arms);
            string folder = common.Folder(parse, "arms");
            SaveBars(comparison, Path.Combine(folder, "recall_by_arm.png"), "Recall@1 by arm (mean ± std over seeds)");
            Finish(runner, comparison, folder, comparison.Runs.Any(r => r.Metrics.ContainsKey("test/Accuracy")) ? "Study: accuracy by arm" : "Study: Recall@1 by arm",
                "recall_by_arm.png\n\nArms:\n\n" + string.Concat(arms.Select(a => $"- {a.Name}: {(a.Overrides.Count == 0 ? "(config as is)" : string.Join("; ", a.Overrides))}\n")));
            return 0;
        });
        return command;
    }

    private static Command BuildWeights()
    {
        var command = new Command("weights", "The pair-weighting study: direct weight assignment with several positive and negative weight curves, each without and with memory");
        var common = Common.Create(command);
        var only = new Option<string?>("--weightings") { Description = $"weightings to run, comma-separated (default all): {string.Join(", ", WeightCurveArm.Defaults.Select(w => w.Name))}" };
        command.Add(only);
        command.SetAction(parse =>
        {
            var weightings = WeightCurveArm.Defaults;
            if (parse.GetValue(only) is { } names)
                weightings = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(n => WeightCurveArm.Defaults.FirstOrDefault(w => w.Name == n)
                        ?? throw new ArgumentException($"--weightings: unknown weighting '{n}' (expected: {string.Join(", ", WeightCurveArm.Defaults.Select(w => w.Name))})"))
                    .ToList();
            var root = ConfigLoader.Load(parse.GetValue(common.Config)!.FullName, parse.GetValue(common.Set));
            // The memory arm uses the config's memory section, or the FIFO memory's defaults when it has none.
            var memory = HasMemory(root) ? Array.Empty<string>() : new[] { "memory.kind=fifo" };
            var arms = WeightStudy.Arms(weightings, memory);
            var runner = common.Runner(parse, "weights");
            var comparison = runner.Run(arms);
            string folder = common.Folder(parse, "weights");
            string table = WeightStudy.Write(folder, comparison, weightings);
            Finish(runner, comparison, folder, "Pair-weighting study: Recall@1 per arm", "weights.md (tables by weighting), curve-*.png");
            Console.WriteLine(table);
            AnsiConsole.MarkupLineInterpolated($"weighting tables: {Path.Combine(folder, "weights.md")}, weights.csv, curve plots curve-*.png");
            return 0;
        });
        return command;
    }

    /// <summary>Parses "0,1000,5000": non-negative integers.</summary>
    public static IReadOnlyList<long> ParseSizes(string text)
    {
        var sizes = new List<long>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out long size) || size < 0)
                throw new ArgumentException($"--sizes: '{part}' is not a non-negative integer");
            sizes.Add(size);
        }
        if (sizes.Count == 0)
            throw new ArgumentException("--sizes: give at least one size");
        return sizes.Distinct().ToList();
    }

    /// <summary>The arm of one memory size: 0 = no memory; otherwise the config's memory (FIFO when it has none) with that size.</summary>
    public static StudyArm SizeArm(long size, bool configHasMemory) =>
        size == 0
            ? new StudyArm("M=0 (no memory)", new[] { "memory=none" })
            : new StudyArm($"M={size}", configHasMemory ? new[] { $"memory.size={size}" } : new[] { "memory.kind=fifo", $"memory.size={size}" });

    /// <summary>True when the configuration's memory section names a kind other than none.</summary>
    public static bool HasMemory(ConfigSection root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return root.Values.TryGetValue("memory", out var memory) && memory switch
        {
            string kind => kind != "none",
            IDictionary<string, object?> section => section.Count > 0 && !(section.TryGetValue("kind", out var k) && k as string == "none"),
            _ => false,
        };
    }

    private static void SaveBars(ArmComparison comparison, string path, string title)
    {
        // Classification runs are compared on their accuracy, retrieval runs on Recall@1.
        string metric = comparison.Runs.Any(r => r.Metrics.ContainsKey("test/Accuracy")) ? "Accuracy" : "Recall@1";
        var series = new Dictionary<string, IReadOnlyList<(double, double)>>();
        foreach (string split in new[] { "validation", "test" })
        {
            var values = comparison.Arms.Select(a => comparison.Summary(a, $"{split}/{metric}")).Select(s => (100 * s.Mean, 100 * s.Std)).ToList();
            if (values.Any(v => double.IsFinite(v.Item1)))
                series[split] = values;
        }
        BarPlot.Save(path, metric == "Accuracy" ? title.Replace("Recall@1", "Accuracy", StringComparison.Ordinal) : title, $"{metric} (%)", comparison.Arms, series);
    }

    private static void Finish(StudyRunner runner, ArmComparison comparison, string folder, string title, string notes)
    {
        string markdown = runner.WriteSummary(comparison, title, $"Plot: {notes}");
        Console.WriteLine();
        Console.WriteLine(markdown); // plain: Spectre would wrap the table lines
        AnsiConsole.MarkupLineInterpolated($"summary: {Path.Combine(folder, "summary.md")}, summary.csv");
    }
}
