using ScottPlot;

namespace Xbm.Reporting;

/// <summary>Grouped bar charts with error bars (e.g. mean ± std of Recall@1 per arm), saved as PNG with ScottPlot.</summary>
public static class BarPlot
{
    /// <summary>
    /// Saves one group of bars per category (e.g. per arm), one bar per series (e.g. validation, test) with
    /// its error bar; NaN values are left out.
    /// </summary>
    public static void Save(string path, string title, string yLabel, IReadOnlyList<string> categories,
        IReadOnlyDictionary<string, IReadOnlyList<(double Value, double Error)>> series, int width = 900, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        foreach (var (name, values) in series)
            if (values.Count != categories.Count)
                throw new ArgumentException($"series '{name}' has {values.Count} values for {categories.Count} categories", nameof(series));
        var plot = new Plot();
        int groups = series.Count;
        double barWidth = 0.8 / Math.Max(1, groups);
        var finite = series.Values.SelectMany(v => v).Where(v => double.IsFinite(v.Value)).ToList();
        int s = 0;
        foreach (var (name, values) in series)
        {
            var color = plot.Add.Palette.GetColor(s);
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Count; c++)
            {
                var (value, error) = values[c];
                if (!double.IsFinite(value))
                    continue;
                bars.Add(new Bar
                {
                    Position = c + (s - (groups - 1) / 2.0) * barWidth,
                    Value = value,
                    Error = double.IsFinite(error) ? error : 0,
                    Size = barWidth * 0.9,
                    FillColor = color,
                    ValueBase = 0,
                });
            }
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = name, FillColor = color });
            s++;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray(), categories.ToArray());
        if (categories.Max(c => c.Length) * 7 > width / Math.Max(1, categories.Count))
        {
            // Long names would overlap: slant them, with room below the axis.
            plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = 20 + 5 * categories.Max(c => c.Length);
        }
        if (finite.Count > 0)
        {
            // Zoom on the bars' range: Recall@1 values of different arms are often a few points apart.
            double low = finite.Min(v => v.Value - (double.IsFinite(v.Error) ? v.Error : 0));
            double high = finite.Max(v => v.Value + (double.IsFinite(v.Error) ? v.Error : 0));
            double pad = Math.Max(0.5, 0.15 * (high - low));
            plot.Axes.SetLimitsY(Math.Max(0, low - pad), high + pad);
        }
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        PlotFile.SavePng(plot, path, width, height);
    }
}
