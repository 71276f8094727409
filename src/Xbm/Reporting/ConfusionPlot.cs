using System.Globalization;
using ScottPlot;
using Xbm.Evaluation;

namespace Xbm.Reporting;

/// <summary>
/// A confusion matrix as a PNG heat map with ScottPlot: rows the true class (first at the top), columns the predicted
/// class, the colour each cell's share of its true class, and the counts written in the cells up to 20 classes.
/// </summary>
public static class ConfusionPlot
{
    /// <summary>Saves the heat map of <paramref name="result"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, ClassificationResult result, string title)
    {
        ArgumentNullException.ThrowIfNull(result);
        int n = result.Classes;
        var shares = new double[n, n];
        for (int r = 0; r < n; r++)
        {
            long support = result.Support(r);
            for (int c = 0; c < n; c++)
                shares[r, c] = support == 0 ? 0 : (double)result.Confusion[r, c] / support;
        }
        var plot = new Plot();
        var map = plot.Add.Heatmap(shares);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5); // the cells' edges: cell (r, c) is centred on (c, n − 1 − r)
        map.ManualRange = new ScottPlot.Range(0, 1);
        plot.Add.ColorBar(map).Label = "share of the true class";
        if (n <= 20)
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                {
                    var text = plot.Add.Text(result.Confusion[r, c].ToString(CultureInfo.InvariantCulture), c, n - 1 - r);
                    text.LabelFontColor = shares[r, c] > 0.5 ? Colors.Black : Colors.White;
                    text.LabelFontSize = n <= 10 ? 12 : 9;
                    text.LabelAlignment = Alignment.MiddleCenter;
                }
        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, result.Names.ToArray());
        plot.Axes.Left.SetTicks(positions.Select(p => n - 1 - p).ToArray(), result.Names.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 20 + 6 * result.Names.Max(s => s.Length);
        plot.Axes.Left.MinimumSize = 20 + 6 * result.Names.Max(s => s.Length);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Title($"{title}: accuracy {100 * result.Accuracy:F2} %");
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        int side = Math.Clamp(300 + 40 * n, 500, 1400);
        PlotFile.SavePng(plot, path, side + 150, side);
    }
}
