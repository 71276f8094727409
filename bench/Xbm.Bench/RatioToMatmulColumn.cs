using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Xbm.Bench;

/// <summary>
/// Median time of a benchmark divided by the median time of the method named <c>Matmul</c> (the bare B×d×M
/// product) of the same class, measured in the same run: the ratio SPEC section 7 asks for (floor 2 for a
/// memory-loss step). Classes without a <c>Matmul</c> method show "-".
/// </summary>
public sealed class RatioToMatmulColumn : IColumn
{
    /// <summary>The name of the baseline method.</summary>
    public const string BaselineMethod = "Matmul";

    /// <inheritdoc />
    public string Id => nameof(RatioToMatmulColumn);

    /// <inheritdoc />
    public string ColumnName => "Ratio/matmul";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => "Median time / median time of the bare B×d×M product (Matmul) of the same class and run";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        Ratio(summary, benchmarkCase) is double r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The ratio of <paramref name="benchmarkCase"/> to its class's Matmul, or null.</summary>
    public static double? Ratio(Summary summary, BenchmarkCase benchmarkCase)
    {
        var baseline = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.Type == benchmarkCase.Descriptor.Type && c.Descriptor.WorkloadMethod.Name == BaselineMethod && c.Job == benchmarkCase.Job);
        double? mine = summary[benchmarkCase]?.ResultStatistics?.Median;
        double? reference = baseline is null ? null : summary[baseline]?.ResultStatistics?.Median;
        return mine is > 0 && reference is > 0 ? mine / reference : null;
    }
}
