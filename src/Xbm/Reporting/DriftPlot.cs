using System.Globalization;
using ScottPlot;
using Xbm.Training;

namespace Xbm.Reporting;

/// <summary>
/// The XBM paper's slow-drift figure: drift D(t, Δt) against the iteration t, one line per Δt, on a log
/// y axis (ScottPlot has no log scale: the plot draws log10 of the values and labels the ticks with powers of 10).
/// </summary>
public static class DriftPlot
{
    /// <summary>Saves the plot of <paramref name="samples"/> to <paramref name="path"/> (non-positive drifts cannot be drawn on a log axis and are left out).</summary>
    public static void Save(string path, IReadOnlyList<DriftSample> samples, string title = "Feature drift during training", int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var plot = new Plot();
        foreach (var group in samples.Where(s => s.Drift > 0 && double.IsFinite(s.Drift)).GroupBy(s => s.Delta).OrderBy(g => g.Key))
        {
            var points = group.OrderBy(s => s.Iteration).ToArray();
            var line = plot.Add.Scatter(points.Select(s => (double)s.Iteration).ToArray(), points.Select(s => Math.Log10(s.Drift)).ToArray());
            line.LegendText = $"Δt = {group.Key.ToString(CultureInfo.InvariantCulture)}";
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("G1", CultureInfo.InvariantCulture),
        };
        plot.Title(title);
        plot.XLabel("iteration t");
        plot.YLabel("drift D(t, Δt) (log scale)");
        plot.ShowLegend();
        PlotFile.SavePng(plot, path, width, height);
    }
}
