using ScottPlot;

namespace Xbm.Reporting;

/// <summary>Line plots of a metric against the iteration, one line per series, saved as PNG with ScottPlot.</summary>
public static class CurvePlot
{
    /// <summary>Saves a plot of <paramref name="series"/> (name → points) to <paramref name="path"/>.</summary>
    public static void Save(string path, string title, string xLabel, string yLabel,
        IReadOnlyDictionary<string, IReadOnlyList<(double X, double Y)>> series, int width = 800, int height = 500)
    {
        var plot = new Plot();
        foreach (var (name, points) in series)
        {
            if (points.Count == 0)
                continue;
            var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = name;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        PlotFile.SavePng(plot, path, width, height);
    }
}
