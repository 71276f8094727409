using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>
/// Normalized mutual information between two labelings, normalised by the arithmetic mean of their entropies
/// (natural logarithm), as sklearn's normalized_mutual_info_score does by default, with its limit cases: two
/// single-cluster labelings (or empty ones) score 1, and zero mutual information scores 0.
/// </summary>
public static class NormalizedMutualInfo
{
    /// <summary>NMI of two labelings of the same items.</summary>
    public static double NormalizedMutualInformation(int[] a, int[] b) =>
        NormalizedMutualInformation(a.Select(v => (long)v).ToArray(), b.Select(v => (long)v).ToArray());

    /// <summary>NMI of two labelings of the same items.</summary>
    public static double NormalizedMutualInformation(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"the labelings have different lengths ({a.Count} and {b.Count})");
        int n = a.Count;
        var rows = Histogram(a);
        var columns = Histogram(b);
        if ((rows.Count == 1 && columns.Count == 1) || n == 0)
            return 1.0;
        if (rows.Count == 1 || columns.Count == 1)
            return 0.0;
        var cells = new Dictionary<(long, long), long>();
        for (int i = 0; i < n; i++)
            cells[(a[i], b[i])] = cells.GetValueOrDefault((a[i], b[i])) + 1;
        double logN = Math.Log(n);
        double mi = 0;
        foreach (var ((ra, cb), count) in cells)
            mi += (double)count / n * (Math.Log(count) + logN - Math.Log(rows[ra]) - Math.Log(columns[cb]));
        mi = Math.Max(mi, 0);
        if (mi == 0)
            return 0.0;
        double normaliser = (Entropy(rows.Values, n) + Entropy(columns.Values, n)) / 2;
        return mi / normaliser;
    }

    /// <summary>
    /// NMI of a seeded k-means clustering of <paramref name="embeddings"/> (k = number of distinct labels) against
    /// <paramref name="labels"/>.
    /// </summary>
    public static double OfClustering(Tensor embeddings, IReadOnlyList<long> labels, KMeansOptions? options = null)
    {
        if (embeddings.dim() != 2 || embeddings.shape[0] != labels.Count)
            throw new ArgumentException($"{labels.Count} labels for embeddings of shape [{string.Join(", ", embeddings.shape)}]");
        int k = labels.Distinct().Count();
        using var clustering = KMeans.Fit(embeddings, k, options);
        return NormalizedMutualInformation(labels, clustering.Assignments);
    }

    private static Dictionary<long, long> Histogram(IReadOnlyList<long> labels)
    {
        var counts = new Dictionary<long, long>();
        foreach (long label in labels)
            counts[label] = counts.GetValueOrDefault(label) + 1;
        return counts;
    }

    private static double Entropy(IEnumerable<long> counts, int n)
    {
        double logN = Math.Log(n), h = 0;
        foreach (long c in counts)
            h -= (double)c / n * (Math.Log(c) - logN);
        return h;
    }
}
