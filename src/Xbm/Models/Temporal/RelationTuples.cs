using Xbm.Runtime;

namespace Xbm.Models.Temporal;

/// <summary>
/// The ordered frame tuples of a temporal relation: the k-element combinations of 0 … N−1 with indices in
/// increasing order, listed lexicographically ((0, 1, 2), (0, 1, 3), …), and the subsets a scale sums.
/// </summary>
public static class RelationTuples
{
    /// <summary>Every k-frame tuple of <paramref name="frames"/> frames, lexicographically (C(N, k) of them).</summary>
    public static IReadOnlyList<int[]> All(int frames, int k)
    {
        if (k < 1 || k > frames)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"a tuple of {frames} frames has 1 to {frames} elements");
        var result = new List<int[]>();
        var current = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            result.Add((int[])current.Clone());
            int i = k - 1;
            while (i >= 0 && current[i] == frames - k + i)
                i--;
            if (i < 0)
                return result;
            current[i]++;
            for (int j = i + 1; j < k; j++)
                current[j] = current[j - 1] + 1;
        }
    }

    /// <summary>
    /// The fixed evaluation choice of <paramref name="count"/> positions out of <paramref name="total"/> tuples: the
    /// centres of <paramref name="count"/> equal parts of the lexicographic list, ⌊(2j + 1) · total / (2 · count)⌋
    /// for j = 0 … count − 1 (every tuple when <paramref name="count"/> ≥ <paramref name="total"/>).
    /// </summary>
    public static int[] EvaluationPositions(int total, int count)
    {
        int s = Math.Min(count, total);
        return Enumerable.Range(0, s).Select(j => (int)((2L * j + 1) * total / (2L * s))).ToArray();
    }

    /// <summary>
    /// A training choice of min(<paramref name="count"/>, <paramref name="total"/>) distinct positions, uniformly
    /// without replacement (a partial Fisher–Yates shuffle), in draw order.
    /// </summary>
    public static int[] RandomPositions(int total, int count, SeededRandom random)
    {
        int s = Math.Min(count, total);
        var pool = Enumerable.Range(0, total).ToArray();
        for (int i = 0; i < s; i++)
        {
            int j = i + random.Next(total - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool[..s];
    }
}
