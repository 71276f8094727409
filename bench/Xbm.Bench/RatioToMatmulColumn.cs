using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Xbm.Bench;

/// <summary>
/// Time of a benchmark divided by the time of the method named <c>Matmul</c> (the bare B×d×M product) of the
/// same class, measured in the same run: the ratio docs/design.md §7 asks for (floor 2 for a memory-loss step).
/// Two flavours: medians, and minima (the best iteration of each, which is what an otherwise idle machine gives
/// when other processes share the cores). Classes without a <c>Matmul</c> method show "-".
/// </summary>
public sealed class RatioToMatmulColumn : IColumn
{
    /// <summary>The name of the baseline method.</summary>
    public const string BaselineMethod = "Matmul";

    private readonly bool _minimum;

    /// <summary>Creates the column; <paramref name="minimum"/> compares minima instead of medians.</summary>
    public RatioToMatmulColumn(bool minimum = false) => _minimum = minimum;

    /// <inheritdoc />
    public string Id => nameof(RatioToMatmulColumn) + (_minimum ? ".Min" : ".Median");

    /// <inheritdoc />
    public string ColumnName => _minimum ? "Ratio/matmul (min)" : "Ratio/matmul";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => _minimum ? 1 : 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => _minimum
        ? "Fastest iteration / fastest iteration of the bare B×d×M product (Matmul) of the same class and run"
        : "Median time / median time of the bare B×d×M product (Matmul) of the same class and run";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        Ratio(summary, benchmarkCase, _minimum) is double r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The ratio of <paramref name="benchmarkCase"/> to its class's Matmul (medians or minima), or null.</summary>
    public static double? Ratio(Summary summary, BenchmarkCase benchmarkCase, bool minimum = false)
    {
        var baseline = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.Type == benchmarkCase.Descriptor.Type && c.Descriptor.WorkloadMethod.Name == BaselineMethod && c.Job == benchmarkCase.Job);
        double? mine = Statistic(summary[benchmarkCase]?.ResultStatistics, minimum);
        double? reference = baseline is null ? null : Statistic(summary[baseline]?.ResultStatistics, minimum);
        return mine is > 0 && reference is > 0 ? mine / reference : null;
    }

    private static double? Statistic(Statistics? statistics, bool minimum) => minimum ? statistics?.Min : statistics?.Median;
}
