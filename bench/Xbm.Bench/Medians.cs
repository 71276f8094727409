namespace Xbm.Bench;

/// <summary>The median of a list of timings or ratios.</summary>
internal static class Medians
{
    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}
