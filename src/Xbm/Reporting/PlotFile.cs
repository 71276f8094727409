using ScottPlot;
using Xbm.IO;

namespace Xbm.Reporting;

/// <summary>Saves ScottPlot figures as PNG files, atomically (a reader never sees a half-written image).</summary>
public static class PlotFile
{
    /// <summary>Renders <paramref name="plot"/> at <paramref name="width"/> × <paramref name="height"/> into <paramref name="path"/>, creating its folder.</summary>
    public static void SavePng(Plot plot, string path, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(plot);
        using var image = plot.GetImage(width, height);
        AtomicFile.WriteAllBytes(path, image.GetImageBytes(ImageFormat.Png, 100));
    }
}
