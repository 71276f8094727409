using System.Globalization;
using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// The run's logs: metrics.csv (one row per logged step), evaluations.csv (one row per evaluation and
/// metric), drift.csv when drift is measured (one row per iteration and Δt) and TensorBoard event files (TorchSharp's writer appends each event to the file as it is added). On resume, rows after the checkpoint's iteration (written by the
/// interrupted process) are dropped, so the logs match an uninterrupted run.
/// </summary>
public sealed class TrainingLog
{
    /// <summary>
    /// Columns of metrics.csv. The per-pair losses (the loss over the contributing pairs' count, empty unless the
    /// reduction is sum_per_query) and the classifier's cross-entropy (empty unless task: classification) come last,
    /// so readers of the earlier columns keep working.
    /// </summary>
    public static readonly string[] MetricColumns =
    {
        "iteration", "lr", "loss", "batch_loss", "memory_loss", "batch_positives", "batch_negatives",
        "memory_count", "memory_oldest_age", "memory_positives", "memory_negatives",
        "memory_mean_positive_similarity", "memory_mean_negative_similarity", "images_per_second",
        "batch_loss_per_pair", "memory_loss_per_pair", "cross_entropy",
    };

    /// <summary>The column counts of metrics.csv before the per-pair losses and before the cross-entropy: such rows are kept (padded) on resume.</summary>
    private static readonly int[] LegacyMetricColumns = [14, 16];

    private readonly string _metricsPath;
    private readonly string _evaluationsPath;
    private readonly string? _driftPath;
    private readonly SummaryWriter? _tensorBoard;
    private readonly string _runFolder;

    /// <summary>Opens (or, when resuming at <paramref name="resumeIteration"/>, trims) the logs of a run; <paramref name="drift"/> adds drift.csv.</summary>
    public TrainingLog(string runFolder, bool tensorBoard, long resumeIteration, bool drift = false)
    {
        _runFolder = runFolder;
        _metricsPath = Path.Combine(runFolder, "metrics.csv");
        _evaluationsPath = Path.Combine(runFolder, "evaluations.csv");
        PrepareCsv(_metricsPath, string.Join(',', MetricColumns), resumeIteration, LegacyMetricColumns);
        PrepareCsv(_evaluationsPath, "iteration,split,metric,value", resumeIteration);
        if (drift)
        {
            _driftPath = Path.Combine(runFolder, DriftFileName);
            PrepareCsv(_driftPath, "iteration,delta,drift", resumeIteration);
        }
        if (tensorBoard)
            _tensorBoard = utils.tensorboard.SummaryWriter(Path.Combine(runFolder, "tensorboard"));
    }

    /// <summary>Appends a step.</summary>
    public void Step(StepReport r)
    {
        var m = r.Memory;
        var values = new object?[]
        {
            r.Iteration, r.LearningRate, r.Loss, r.BatchLoss, r.MemoryLoss, r.BatchPairs.Positives, r.BatchPairs.Negatives,
            m?.Count, m?.OldestAge, m?.Positives, m?.Negatives, m?.MeanPositiveSimilarity, m?.MeanNegativeSimilarity, r.ImagesPerSecond,
            r.BatchLossPerPair, r.MemoryLossPerPair, r.CrossEntropy,
        };
        Append(_metricsPath, string.Join(',', values.Select(Format)) + "\n");
        if (_tensorBoard is null)
            return;
        int step = (int)r.Iteration;
        _tensorBoard.add_scalar("train/loss", (float)r.Loss, step);
        _tensorBoard.add_scalar("train/batch_loss", (float)r.BatchLoss, step);
        if (double.IsFinite(r.BatchLossPerPair))
            _tensorBoard.add_scalar("train/batch_loss_per_pair", (float)r.BatchLossPerPair, step);
        if (double.IsFinite(r.MemoryLossPerPair))
            _tensorBoard.add_scalar("train/memory_loss_per_pair", (float)r.MemoryLossPerPair, step);
        _tensorBoard.add_scalar("train/lr", (float)r.LearningRate, step);
        if (double.IsFinite(r.CrossEntropy))
            _tensorBoard.add_scalar("train/cross_entropy", (float)r.CrossEntropy, step);
        if (m is not null)
        {
            _tensorBoard.add_scalar("train/memory_loss", (float)r.MemoryLoss, step);
            _tensorBoard.add_scalar("memory/fill", (float)m.Fill, step);
            _tensorBoard.add_scalar("memory/oldest_age", m.OldestAge, step);
            _tensorBoard.add_scalar("memory/positives", m.Positives, step);
            _tensorBoard.add_scalar("memory/negatives", m.Negatives, step);
            if (double.IsFinite(m.MeanPositiveSimilarity))
                _tensorBoard.add_scalar("memory/mean_positive_similarity", (float)m.MeanPositiveSimilarity, step);
            if (double.IsFinite(m.MeanNegativeSimilarity))
                _tensorBoard.add_scalar("memory/mean_negative_similarity", (float)m.MeanNegativeSimilarity, step);
        }
    }

    // A failed append (a full disk) says what it could not write and that the last checkpoint is whole.
    private void Append(string path, string text)
    {
        try
        {
            File.AppendAllText(path, text);
        }
        catch (IOException e)
        {
            throw new IOException($"{path}: cannot append to the log ({e.Message}); {Checkpoint.Kept(_runFolder)}", e);
        }
    }

    /// <summary>Appends an evaluation.</summary>
    public void Evaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in metrics)
        {
            text.Append(iteration).Append(',').Append(split).Append(',').Append(name).Append(',').Append(Format(value)).Append('\n');
            _tensorBoard?.add_scalar($"{split}/{name}", (float)value, (int)iteration);
        }
        Append(_evaluationsPath, text.ToString());
    }

    /// <summary>The drift file of a run folder.</summary>
    public const string DriftFileName = "drift.csv";

    /// <summary>Appends drift samples (no-op for none; requires the log to have been opened with drift).</summary>
    public void Drift(IReadOnlyList<DriftSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
            return;
        if (_driftPath is null)
            throw new InvalidOperationException("this log was opened without drift");
        Append(_driftPath, string.Concat(samples.Select(s => $"{s.Iteration},{s.Delta},{Format(s.Drift)}\n")));
        foreach (var s in samples)
            _tensorBoard?.add_scalar($"drift/dt{s.Delta}", (float)s.Drift, (int)s.Iteration);
    }

    /// <summary>Reads drift.csv of a run: (iteration, Δt, drift) rows; empty when the run measured no drift.</summary>
    public static List<DriftSample> ReadDrift(string runFolder)
    {
        string path = Path.Combine(runFolder, DriftFileName);
        var rows = new List<DriftSample>();
        if (!File.Exists(path))
            return rows;
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length == 3 && f[2].Length > 0)
                rows.Add(new DriftSample(long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
                    double.Parse(f[2], CultureInfo.InvariantCulture)));
        }
        return rows;
    }

    /// <summary>Reads evaluations.csv of a run: (iteration, split, metric, value) rows.</summary>
    public static List<(long Iteration, string Split, string Metric, double Value)> ReadEvaluations(string runFolder)
    {
        string path = Path.Combine(runFolder, "evaluations.csv");
        var rows = new List<(long, string, string, double)>();
        if (!File.Exists(path))
            return rows;
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length == 4)
                rows.Add((long.Parse(f[0], CultureInfo.InvariantCulture), f[1], f[2], double.Parse(f[3], CultureInfo.InvariantCulture)));
        }
        return rows;
    }

    private static void PrepareCsv(string path, string header, long keepUpTo, params int[] legacyColumns)
    {
        if (!File.Exists(path) || keepUpTo <= 0)
        {
            File.WriteAllText(path, header + "\n");
            return;
        }
        // A process killed while appending leaves a partial last row: keep only complete rows (every column).
        // A file written before columns were added has a shorter header: its complete rows get empty new cells.
        int columns = header.Split(',').Length;
        var lines = File.ReadLines(path).ToList();
        int written = lines.Count == 0 ? columns : lines[0].Split(',').Length;
        int complete = legacyColumns.Contains(written) ? written : columns;
        var kept = lines.Skip(1)
            .Select(l => l.Split(','))
            .Where(f => f.Length == complete && long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long it) && it <= keepUpTo)
            .Select(f => string.Join(',', f) + new string(',', columns - complete))
            .ToList();
        IO.AtomicFile.WriteAllText(path, header + "\n" + string.Concat(kept.Select(l => l + "\n")));
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "",
        double d => d.ToString("G9", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
