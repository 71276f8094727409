using System.Globalization;
using System.Text;

namespace Xbm.Reporting;

/// <summary>One finished run of one arm of a comparison.</summary>
/// <param name="Arm">The arm's name, e.g. "no memory" or "XBM".</param>
/// <param name="Seed">The seed.</param>
/// <param name="Metrics">Final metrics (fractions) plus any measurements (seconds, bytes).</param>
/// <param name="Folder">The run folder.</param>
public sealed record ArmRun(string Arm, long Seed, IReadOnlyDictionary<string, double> Metrics, string Folder);

/// <summary>
/// Compares arms (e.g. without and with memory) over several seeds: mean and sample standard deviation per
/// metric, written as a markdown table and a CSV. Used by `xbm demo` and the studies.
/// </summary>
public sealed class ArmComparison
{
    private readonly List<ArmRun> _runs = new();

    /// <summary>The runs added so far.</summary>
    public IReadOnlyList<ArmRun> Runs => _runs;

    /// <summary>Arms in the order they were first added.</summary>
    public IReadOnlyList<string> Arms => _runs.Select(r => r.Arm).Distinct().ToList();

    /// <summary>Adds a finished run.</summary>
    public void Add(ArmRun run) => _runs.Add(run);

    /// <summary>Mean and sample standard deviation (0 for one seed) of a metric over an arm's seeds; NaN when absent.</summary>
    public (double Mean, double Std, int Count) Summary(string arm, string metric)
    {
        var values = _runs.Where(r => r.Arm == arm && r.Metrics.ContainsKey(metric)).Select(r => r.Metrics[metric]).ToList();
        if (values.Count == 0)
            return (double.NaN, double.NaN, 0);
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return (mean, std, values.Count);
    }

    /// <summary>Markdown table: one row per arm, "mean ± std" per column, each rendered by its column's Format.</summary>
    public string ToMarkdown(IReadOnlyList<(string Metric, string Header, Func<double, string> Format)> columns)
    {
        var text = new StringBuilder();
        text.Append("| arm | seeds | ").Append(string.Join(" | ", columns.Select(c => c.Header))).Append(" |\n");
        text.Append("|---|---|").Append(string.Concat(columns.Select(_ => "---|"))).Append('\n');
        foreach (string arm in Arms)
        {
            text.Append("| ").Append(arm).Append(" | ").Append(_runs.Count(r => r.Arm == arm)).Append(" | ");
            text.Append(string.Join(" | ", columns.Select(c =>
            {
                var (mean, std, n) = Summary(arm, c.Metric);
                return n == 0 ? "-" : n == 1 ? c.Format(mean) : $"{c.Format(mean)} ± {c.Format(std)}";
            })));
            text.Append(" |\n");
        }
        return text.ToString();
    }

    /// <summary>CSV with one row per run and one column per metric.</summary>
    public string ToCsv()
    {
        var metrics = _runs.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        var text = new StringBuilder("arm,seed," + string.Join(',', metrics) + ",folder\n");
        foreach (var run in _runs)
            text.Append(run.Arm).Append(',').Append(run.Seed).Append(',')
                .Append(string.Join(',', metrics.Select(m => run.Metrics.TryGetValue(m, out var v) ? v.ToString("G9", CultureInfo.InvariantCulture) : "")))
                .Append(',').Append(run.Folder).Append('\n');
        return text.ToString();
    }
}
