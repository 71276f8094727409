using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Xbm.Configuration;
using Xbm.IO;
using Xbm.Reporting;
using Xbm.Training;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm drift`: trains a configuration while measuring feature drift (docs/design.md §4) and writes drift.csv
/// and drift.png (drift against the iteration, one line per Δt, log y axis): the XBM paper's slow-drift
/// figure in miniature.
/// </summary>
public sealed class DriftCommand : ICliCommand
{
    /// <summary>The Δt values measured when neither the config nor --deltas names any.</summary>
    public static IReadOnlyList<long> DefaultDeltas { get; } = new long[] { 10, 100, 1000 };

    /// <summary>The measurement interval when neither the config nor --every sets it.</summary>
    public const long DefaultEvery = 50;

    /// <inheritdoc />
    public Command Build()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML configuration (see configs/)", Required = true };
        var set = new Option<string[]>("--set") { Description = "override a key (repeatable)", DefaultValueFactory = _ => Array.Empty<string>() };
        var output = new Option<DirectoryInfo?>("--out") { Description = "run folder (default runs/drift-<config name>); an existing run is resumed" };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };
        var every = new Option<long?>("--every") { Description = $"measure every this many iterations (default: the config's drift.every, else {DefaultEvery})" };
        var deltas = new Option<string?>("--deltas") { Description = "Δt values, comma-separated (default: the config's drift.deltas, else 10,100,1000 up to the iteration count)" };
        var probes = new Option<int?>("--probes") { Description = "probe images drawn from the training split (default: the config's, else 256)" };
        var evaluate = new Option<bool>("--evaluate") { Description = "also run the config's evaluations (off: drift only)" };

        var command = new Command("drift", "Train while measuring feature drift D(t, Δt); write drift.csv and drift.png") { config, set, output, device, every, deltas, probes, evaluate };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(config)!;
            var overrides = parse.GetValue(set)!.ToList();
            var plain = ConfigLoader.Load(file.FullName, overrides);
            overrides.AddRange(DriftOverrides(plain, parse.GetValue(every), parse.GetValue(deltas), parse.GetValue(probes)));
            var root = ConfigLoader.Load(file.FullName, overrides);
            string folder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", "drift-" + Path.GetFileNameWithoutExtension(file.Name));
            OutputTarget.EnsureFolder(folder, parse.GetValue(output) is null ? "run folder" : "--out");

            var progress = new ConsoleProgress("drift");
            TrainingResult result;
            using (var run = TrainingRun.Create(root, folder, parse.GetValue(device), progress, evaluateWhileTraining: parse.GetValue(evaluate)))
            using (Interruption.WatchCheckpoint(() => run.Trainer.CurrentCheckpoint))
            {
                progress.Iterations = run.Options.Iterations;
                result = progress.Run(() => run.Trainer.Run(resume: true, Interruption.Token));
            }
            var samples = TrainingLog.ReadDrift(folder);
            string plot = Path.Combine(folder, "drift.png");
            DriftPlot.Save(plot, samples, $"Feature drift: {Path.GetFileNameWithoutExtension(file.Name)}");
            Print(samples);
            AnsiConsole.MarkupLineInterpolated($"drift: {Path.Combine(folder, TrainingLog.DriftFileName)} ({samples.Count} rows), plot: {plot}");
            Report.PrintRun(folder, result);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The overrides that give a configuration its drift section: the command-line values when given, else the
    /// config's own, else the defaults (every 50; Δt 10, 100, 1000 without those beyond the iteration count).
    /// </summary>
    public static IReadOnlyList<string> DriftOverrides(ConfigSection root, long? every, string? deltas, int? probes)
    {
        ArgumentNullException.ThrowIfNull(root);
        long iterations = TrainOptions.ReadIterations(root);
        var section = root.Values.TryGetValue("drift", out var d) && d is IDictionary<string, object?> map ? map : null;
        var result = new List<string>();
        if (every is long e)
        {
            if (e < 1)
                throw new ArgumentException("--every must be at least 1");
            result.Add($"drift.every={e}");
        }
        else if (section is null || !(section.ContainsKey("every") || section.ContainsKey("interval")))
            result.Add($"drift.every={DefaultEvery}");

        if (deltas is not null)
        {
            var values = new List<long>();
            foreach (string part in deltas.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) || v < 1)
                    throw new ArgumentException($"--deltas: '{part}' is not a positive integer");
                values.Add(v);
            }
            if (values.Count == 0)
                throw new ArgumentException("--deltas: give at least one Δt");
            result.Add($"drift.deltas=[{string.Join(", ", values)}]");
        }
        else if (section is null || !section.ContainsKey("deltas"))
        {
            var bounded = DefaultDeltas.Where(v => v <= iterations).ToList();
            if (bounded.Count == 0)
                bounded.Add(Math.Max(1, iterations / 2));
            result.Add($"drift.deltas=[{string.Join(", ", bounded)}]");
        }
        if (probes is int p)
            result.Add($"drift.probes={p}");
        return result;
    }

    private static void Print(IReadOnlyList<DriftSample> samples)
    {
        if (samples.Count == 0)
        {
            AnsiConsole.MarkupLine("no drift measured (the run is shorter than the smallest Δt?)");
            return;
        }
        var iterations = samples.Select(s => s.Iteration).Distinct().Order().ToList();
        var shown = new[] { 0, iterations.Count / 4, iterations.Count / 2, 3 * iterations.Count / 4, iterations.Count - 1 }.Distinct().Select(i => iterations[i]).ToList();
        var headers = new[] { "Δt" }.Concat(shown.Select(t => $"t = {t}")).ToList();
        var rows = samples.GroupBy(s => s.Delta).OrderBy(g => g.Key).Select(group =>
        {
            var byIteration = group.ToDictionary(s => s.Iteration, s => s.Drift);
            return (IReadOnlyList<string>)new[] { group.Key.ToString(CultureInfo.InvariantCulture) }
                .Concat(shown.Select(t => byIteration.TryGetValue(t, out var v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "-")).ToList();
        }).ToList();
        ConsoleTable.WriteGrid("Feature drift D(t, Δt) (mean squared distance of L2-normalised probe embeddings)", headers, rows);
    }
}
