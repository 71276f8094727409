using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Xbm.Bench;

/// <summary>
/// Ratios measured in pairs: a benchmark records, for each of its iterations, its own time divided by the time of
/// the bare product measured right before and after it (see <see cref="MemoryLossBenchmarks"/>). The column
/// shows the median over the measured iterations. Unlike ratios of separately measured medians, this is robust
/// to other processes loading the machine for minutes at a time.
/// </summary>
public sealed class PairedRatioColumn : IColumn
{
    private static readonly ConcurrentDictionary<string, List<double>> Samples = new();

    /// <summary>How many first samples of each key are warm-up iterations and left out.</summary>
    public const int WarmupSamples = 2;

    /// <summary>Records one paired ratio for <paramref name="key"/> (method name and arguments).</summary>
    public static void Record(string key, double ratio)
    {
        var list = Samples.GetOrAdd(key, _ => new List<double>());
        lock (list)
            list.Add(ratio);
    }

    /// <summary>The median recorded ratio of <paramref name="key"/> without the warm-up samples, or null.</summary>
    public static double? Median(string key)
    {
        if (!Samples.TryGetValue(key, out var list))
            return null;
        double[] values;
        lock (list)
            values = list.Skip(WarmupSamples).OrderBy(v => v).ToArray();
        return values.Length == 0 ? null : values.Length % 2 == 1
            ? values[values.Length / 2]
            : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }

    /// <summary>The key of a benchmark case: method name and argument values.</summary>
    public static string Key(BenchmarkCase benchmarkCase) => Key(benchmarkCase.Descriptor.WorkloadMethod.Name,
        benchmarkCase.Parameters.Items.Select(p => p.Value?.ToString() ?? ""));

    /// <summary>The key of a method and its argument values.</summary>
    public static string Key(string method, IEnumerable<string> arguments) => $"{method}({string.Join(",", arguments)})";

    /// <inheritdoc />
    public string Id => nameof(PairedRatioColumn);

    /// <inheritdoc />
    public string ColumnName => "Paired ratio";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 2;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => "Median over iterations of (iteration time / bare product timed right before and after it)";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        Median(Key(benchmarkCase)) is double r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;
}
