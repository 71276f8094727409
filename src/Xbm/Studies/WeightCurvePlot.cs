using ScottPlot;
using Xbm.Losses;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Studies;

/// <summary>
/// Plots a pair-weight curve pair w⁺(S), w⁻(S) over S ∈ [−1, 1] as a PNG. Each similarity is evaluated as the
/// only pair of its side for its query, so a normalised exponential curve shows e^x / (1 + e^x) and a top-k
/// curve shows 1: the weight a lone pair would get.
/// </summary>
public static class WeightCurvePlot
{
    /// <summary>The curve's weight at each similarity in <paramref name="similarities"/>, each as a lone pair.</summary>
    public static double[] Evaluate(IWeightCurve curve, PairSide side, IReadOnlyList<double> similarities)
    {
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentNullException.ThrowIfNull(similarities);
        using var scope = NewDisposeScope();
        var s = tensor(similarities.ToArray(), dtype: ScalarType.Float64).view(-1, 1);
        var mask = ones(s.shape, dtype: ScalarType.Bool);
        return curve.Weights(s, mask, side).view(-1).data<double>().ToArray();
    }

    /// <summary>Saves the plot of both curves to <paramref name="path"/> (written atomically).</summary>
    public static void Save(string path, string title, IWeightCurve positive, IWeightCurve negative, int width = 720, int height = 400)
    {
        var grid = Enumerable.Range(0, 201).Select(i => -1 + i / 100.0).ToArray();
        var plot = new Plot();
        var pos = plot.Add.Scatter(grid, Evaluate(positive, PairSide.Positive, grid));
        pos.LegendText = $"w⁺ (positives): {positive.Name}";
        pos.MarkerSize = 0;
        var neg = plot.Add.Scatter(grid, Evaluate(negative, PairSide.Negative, grid));
        neg.LegendText = $"w⁻ (negatives): {negative.Name}";
        neg.MarkerSize = 0;
        plot.Title(title);
        plot.XLabel("similarity S");
        plot.YLabel("pair weight");
        plot.Axes.Margins(0.02, 0.02, 0.05, 0.3); // headroom above the curves for the legend
        plot.ShowLegend(Alignment.UpperLeft);
        PlotFile.SavePng(plot, path, width, height);
    }
}
