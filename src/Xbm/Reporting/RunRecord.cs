using System.Collections;
using System.Globalization;
using Xbm.Configuration;
using Xbm.Training;

namespace Xbm.Reporting;

/// <summary>
/// What a run folder holds, read for reports: the stored configuration (flattened to "section.key" → value), the
/// step log (metrics.csv), evaluations (evaluations.csv), drift measurements (drift.csv, when recorded: columns
/// iteration, delta, drift) and the latest checkpoint. Missing logs read as empty; malformed ones are errors naming
/// the file and line.
/// </summary>
public sealed class RunRecord
{
    private RunRecord(string folder, IReadOnlyDictionary<string, string> config, NumericCsv? metrics,
        IReadOnlyList<(long Iteration, string Split, string Metric, double Value)> evaluations, IReadOnlyList<DriftSample> drift, string? checkpoint)
    {
        Folder = folder;
        Config = config;
        Metrics = metrics;
        Evaluations = evaluations;
        Drift = drift;
        LatestCheckpoint = checkpoint;
    }

    /// <summary>The run folder (full path).</summary>
    public string Folder { get; }

    /// <summary>The folder's name.</summary>
    public string Name => Path.GetFileName(Folder.TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>The stored configuration, flattened ("memory.kind" → "fifo"); empty without config.yaml.</summary>
    public IReadOnlyDictionary<string, string> Config { get; }

    /// <summary>The step log, or null when the run has none.</summary>
    public NumericCsv? Metrics { get; }

    /// <summary>Rows of evaluations.csv.</summary>
    public IReadOnlyList<(long Iteration, string Split, string Metric, double Value)> Evaluations { get; }

    /// <summary>Rows of drift.csv (empty when drift was not recorded).</summary>
    public IReadOnlyList<DriftSample> Drift { get; }

    /// <summary>The latest checkpoint folder, or null.</summary>
    public string? LatestCheckpoint { get; }

    /// <summary>True when the step log has memory statistics (the run used a memory).</summary>
    public bool HasMemory => Metrics is { } m && m.Series("iteration", "memory_count").Count > 0;

    /// <summary>Reads a run folder.</summary>
    public static RunRecord Read(string folder)
    {
        string full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"{folder}: no such run folder");
        string configPath = Path.Combine(full, "config.yaml");
        string metricsPath = Path.Combine(full, "metrics.csv");
        string evaluationsPath = Path.Combine(full, "evaluations.csv");
        if (!File.Exists(configPath) && !File.Exists(metricsPath) && !File.Exists(evaluationsPath))
            throw new FileNotFoundException($"{folder}: not a run folder (no config.yaml, metrics.csv or evaluations.csv)", configPath);
        var config = File.Exists(configPath) ? Flatten(ConfigLoader.Load(configPath).Values) : new Dictionary<string, string>();
        var metrics = File.Exists(metricsPath) ? NumericCsv.Read(metricsPath, "iteration") : null;
        var evaluations = TrainingLog.ReadEvaluations(full);
        string driftPath = Path.Combine(full, "drift.csv");
        var drift = new List<DriftSample>();
        if (File.Exists(driftPath))
        {
            var table = NumericCsv.Read(driftPath, "iteration", "delta", "drift");
            foreach (var row in table.Rows)
                if (double.IsFinite(table.Value(row, "drift")))
                    drift.Add(new DriftSample((long)table.Value(row, "iteration"), (long)table.Value(row, "delta"), table.Value(row, "drift")));
        }
        string? checkpoint = null;
        try
        {
            checkpoint = Checkpoint.Latest(full);
        }
        catch (InvalidDataException)
        {
            // A dangling pointer: the report still shows the logs.
        }
        return new RunRecord(full, config, metrics, evaluations, drift, checkpoint);
    }

    /// <summary>The last evaluation of each (split, metric): the final metrics of the run.</summary>
    public IReadOnlyDictionary<(string Split, string Metric), (long Iteration, double Value)> FinalEvaluations() =>
        Evaluations.GroupBy(e => (e.Split, e.Metric))
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.Iteration).Select(e => (e.Iteration, e.Value)).Last());

    /// <summary>Flattens a configuration tree: nested sections join keys with dots, lists print as [a, b], a section given as a scalar ("memory: none") becomes its shorthand key ("memory.kind").</summary>
    public static Dictionary<string, string> Flatten(IReadOnlyDictionary<string, object?> tree)
    {
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        Visit(tree.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)), "", flat);
        return flat;
    }

    private static void Visit(IEnumerable<KeyValuePair<string, object?>> pairs, string prefix, Dictionary<string, string> flat)
    {
        foreach (var (key, value) in pairs)
        {
            string path = prefix.Length == 0 ? key : prefix + "." + key;
            if (value is IDictionary<string, object?> nested)
                Visit(nested, path, flat);
            else if (prefix.Length == 0 && value is string shorthand && ConfigLoader.ShorthandKeys.TryGetValue(key, out var implied))
                flat[path + "." + implied] = shorthand; // "memory: none" is memory.kind = none
            else
                flat[path] = Scalar(value);
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        string s => s,
        IDictionary<string, object?> d => "{" + string.Join(", ", d.Select(p => $"{p.Key}: {Scalar(p.Value)}")) + "}",
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Scalar)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
