using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Xbm.Configuration;
using Xbm.IO;
using Xbm.Reporting;
using Xbm.Training;

namespace Xbm.Studies;

/// <summary>Settings of a <see cref="StudyRunner"/>.</summary>
public sealed record StudyOptions
{
    /// <summary>The configuration every arm starts from.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>Overrides applied to every arm (before the arm's own).</summary>
    public IReadOnlyList<string> Overrides { get; init; } = Array.Empty<string>();

    /// <summary>Training seeds; every arm runs once per seed.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = new long[] { 0, 1, 2 };

    /// <summary>The study folder: one run folder per (arm, seed), and the summary files.</summary>
    public required string Folder { get; init; }

    /// <summary>A device overriding the config's, or null.</summary>
    public string? Device { get; init; }

    /// <summary>
    /// Also compute R-Precision and MAP@R. Off by default: they need every query's R nearest neighbours
    /// (R ≈ 7,000 on Fashion-MNIST's test split), which costs minutes per evaluation; Recall@K takes seconds.
    /// </summary>
    public bool FullMetrics { get; init; }

    /// <summary>
    /// The splits evaluated after training, among "validation" (skipped when the data has none) and "test".
    /// Default both; a search that selects on validation can leave the test for the confirmation runs.
    /// </summary>
    public IReadOnlyList<string> Splits { get; init; } = new[] { "validation", "test" };
}

/// <summary>
/// Runs a study: a list of arms (name + config overrides) × seeds, each trained with <see cref="TrainingRun"/>
/// in its own folder and evaluated at the end on the validation split (when the data has one) and the test
/// split. Metrics are named "validation/Recall@1", "test/Recall@1", ..., plus "train_seconds" and, for arms
/// with memory, "memory_start" (the iteration the memory started). A finished run leaves study-result.json
/// in its folder; running the study again reuses it when the resolved configuration is unchanged, so an
/// interrupted study resumes where it stopped (an unfinished run resumes from its checkpoint).
/// Adding a study is writing its list of arms.
/// </summary>
public sealed class StudyRunner
{
    /// <summary>The file a finished run leaves in its folder.</summary>
    public const string ResultFileName = "study-result.json";

    private readonly StudyOptions _options;
    private readonly Func<string, long, ITrainingObserver?>? _observers;

    /// <summary>Creates the runner; <paramref name="observers"/> makes a progress receiver per (label, iterations) or null.</summary>
    public StudyRunner(StudyOptions options, Func<string, long, ITrainingObserver?>? observers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Seeds.Count == 0)
            throw new ArgumentException("a study needs at least one seed", nameof(options));
        if (options.Splits.Count == 0 || options.Splits.Any(s => s is not ("validation" or "test")))
            throw new ArgumentException($"study splits must be validation and/or test, got [{string.Join(", ", options.Splits)}]", nameof(options));
        _options = options;
        _observers = observers;
    }

    /// <summary>Receives one line per run started or reused.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Wraps each training: (label, train) → result; default runs it directly (the CLI draws a progress bar).</summary>
    public Func<string, Func<TrainingResult>, TrainingResult>? Wrap { get; init; }

    /// <summary>Stops training (after a checkpoint) and evaluation when signalled; the study resumes on the next run.</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>Runs every arm with every seed, in order, and returns the comparison.</summary>
    public ArmComparison Run(IReadOnlyList<StudyArm> arms)
    {
        ArgumentNullException.ThrowIfNull(arms);
        if (arms.Count == 0)
            throw new ArgumentException("a study needs at least one arm", nameof(arms));
        var duplicate = arms.GroupBy(a => a.Slug).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"arms {string.Join(" and ", duplicate.Select(a => $"'{a.Name}'"))} would share the folder '{duplicate.Key}'; rename one");
        var comparison = new ArmComparison();
        foreach (var arm in arms)
            foreach (long seed in _options.Seeds)
                comparison.Add(RunOne(arm, seed));
        return comparison;
    }

    /// <summary>The configuration of one (arm, seed): the study's config, its overrides, the arm's, then seed.</summary>
    public ConfigSection Configuration(StudyArm arm, long seed) =>
        ConfigLoader.Load(_options.ConfigPath, _options.Overrides.Concat(arm.Overrides).Append($"seed={seed}"));

    /// <summary>The run folder of one (arm, seed).</summary>
    public string RunFolder(StudyArm arm, long seed) => Path.Combine(_options.Folder, $"{arm.Slug}-seed{seed}");

    /// <summary>Trains and evaluates one (arm, seed), or reuses its finished result.</summary>
    public ArmRun RunOne(StudyArm arm, long seed)
    {
        ArgumentNullException.ThrowIfNull(arm);
        var config = Configuration(arm, seed);
        string folder = RunFolder(arm, seed);
        string resolved = ConfigLoader.ToYaml(config.Values.ToDictionary(p => p.Key, p => p.Value));
        string resultPath = Path.Combine(folder, ResultFileName);
        if (ReadResult(resultPath, resolved) is { } cached)
        {
            Log?.Invoke($"{arm.Name}, seed {seed}: reusing {resultPath}");
            return new ArmRun(arm.Name, seed, cached, folder);
        }

        Log?.Invoke($"{arm.Name}, seed {seed}: {folder}");
        string label = $"{arm.Name} s{seed}";
        long iterations = TrainOptions.ReadIterations(config);
        var start = new MemoryStartObserver(_observers?.Invoke(label, iterations));
        var clock = Stopwatch.StartNew();
        var metrics = new Dictionary<string, double>();
        using (var run = TrainingRun.Create(config, folder, _options.Device, start, evaluateWhileTraining: false))
        {
            var result = Wrap is null ? run.Trainer.Run(resume: true, Cancel) : Wrap(label, () => run.Trainer.Run(resume: true, Cancel));
            // A classification run reports its accuracy (and the retrieval metrics its evaluation section asks for).
            IEvaluator evaluator = run.Classification is { } classification
                ? (_options.FullMetrics ? classification : classification.WithRecallOnly())
                : (_options.FullMetrics ? run.Evaluator : run.Evaluator.WithRecallOnly());
            var splits = _options.Splits.Where(s => s != "validation" || run.Data.Validation is not null).ToArray();
            foreach (string split in splits)
                foreach (var (name, value) in evaluator.Evaluate(run.Model, split, Cancel))
                    metrics[$"{split}/{name}"] = value;
            metrics["train_seconds"] = result.TrainingSeconds;
            metrics["images_per_second"] = result.ImagesPerSecond;
            if (start.StartIteration is long started)
                metrics["memory_start"] = started;
        }
        metrics["total_seconds"] = clock.Elapsed.TotalSeconds;
        WriteResult(resultPath, resolved, metrics);
        return new ArmRun(arm.Name, seed, metrics, folder);
    }

    /// <summary>The Recall@K columns present in <paramref name="comparison"/>, validation first, as percentages.</summary>
    public static IReadOnlyList<(string Metric, string Header, Func<double, string> Format)> RecallColumns(ArmComparison comparison, params int[] ks)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var present = comparison.Runs.SelectMany(r => r.Metrics.Keys).ToHashSet();
        Func<double, string> percent = v => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        var columns = new List<(string, string, Func<double, string>)>();
        foreach (string split in new[] { "validation", "test" })
            foreach (int k in ks.Length == 0 ? new[] { 1, 2, 4, 8 } : ks)
                if (present.Contains($"{split}/Recall@{k}"))
                    columns.Add(($"{split}/Recall@{k}", $"{split} R@{k} %", percent));
        return columns;
    }

    /// <summary>The classification columns present in <paramref name="comparison"/> (Accuracy, MeanClassAccuracy), validation first, as percentages.</summary>
    public static IReadOnlyList<(string Metric, string Header, Func<double, string> Format)> AccuracyColumns(ArmComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var present = comparison.Runs.SelectMany(r => r.Metrics.Keys).ToHashSet();
        Func<double, string> percent = v => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        var columns = new List<(string, string, Func<double, string>)>();
        foreach (string split in new[] { "validation", "test" })
            foreach (var (metric, header) in new[] { ("Accuracy", "accuracy"), ("MeanClassAccuracy", "mean class accuracy") })
                if (present.Contains($"{split}/{metric}"))
                    columns.Add(($"{split}/{metric}", $"{split} {header} %", percent));
        return columns;
    }

    /// <summary>
    /// Writes summary.md (title, mean ± std table, per-seed table, notes) and summary.csv (one row per run)
    /// into the study folder; returns the markdown.
    /// </summary>
    public string WriteSummary(ArmComparison comparison, string title, string? notes = null)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var columns = RecallColumns(comparison, 1, 2).ToList();
        columns.AddRange(AccuracyColumns(comparison));
        Func<double, string> seconds = v => v.ToString("F0", CultureInfo.InvariantCulture) + " s";
        columns.Add(("train_seconds", "train time", seconds));
        var text = new StringBuilder($"# {title}\n\n");
        text.Append("Mean ± sample standard deviation over seeds.\n\n").Append(comparison.ToMarkdown(columns)).Append('\n');
        text.Append("Per seed:\n\n| arm | seed | ").Append(string.Join(" | ", columns.Select(c => c.Header))).Append(" |\n|---|---|")
            .Append(string.Concat(columns.Select(_ => "---|"))).Append('\n');
        foreach (var run in comparison.Runs)
            text.Append("| ").Append(run.Arm).Append(" | ").Append(run.Seed).Append(" | ")
                .Append(string.Join(" | ", columns.Select(c => run.Metrics.TryGetValue(c.Metric, out var v) ? c.Format(v) : "-"))).Append(" |\n");
        text.Append('\n').Append($"Config: {_options.ConfigPath}");
        if (_options.Overrides.Count > 0)
            text.Append($"; overrides: {string.Join(", ", _options.Overrides)}");
        text.Append('\n');
        if (!string.IsNullOrWhiteSpace(notes))
            text.Append('\n').Append(notes.TrimEnd()).Append('\n');
        Directory.CreateDirectory(_options.Folder);
        AtomicFile.WriteAllText(Path.Combine(_options.Folder, "summary.md"), text.ToString());
        AtomicFile.WriteAllText(Path.Combine(_options.Folder, "summary.csv"), comparison.ToCsv());
        return text.ToString();
    }

    private static Dictionary<string, double>? ReadResult(string path, string resolved)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            var stored = JsonSerializer.Deserialize<StoredResult>(File.ReadAllText(path));
            return stored is not null && stored.Config == resolved ? stored.Metrics : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void WriteResult(string path, string resolved, Dictionary<string, double> metrics)
    {
        var finite = metrics.Where(p => double.IsFinite(p.Value)).ToDictionary(p => p.Key, p => p.Value);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new StoredResult(resolved, finite), new JsonSerializerOptions { WriteIndented = true }));
    }

    private sealed record StoredResult(string Config, Dictionary<string, double> Metrics);

    /// <summary>Forwards to an inner observer and notes the first iteration whose step used the memory.</summary>
    private sealed class MemoryStartObserver(ITrainingObserver? inner) : ITrainingObserver
    {
        public long? StartIteration { get; private set; }

        public void OnStep(StepReport report)
        {
            if (StartIteration is null && report.Memory is not null)
                StartIteration = report.Iteration;
            inner?.OnStep(report);
        }

        public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) => inner?.OnEvaluation(iteration, split, metrics);

        public void OnMessage(string message) => inner?.OnMessage(message);

        public void OnProgress(string phase, long done, long total) => inner?.OnProgress(phase, done, total);
    }
}
