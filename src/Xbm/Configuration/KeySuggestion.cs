namespace Xbm.Configuration;

/// <summary>Finds the known key a misspelt one most likely meant ("memroy" → "memory"), for "did you mean" hints.</summary>
public static class KeySuggestion
{
    /// <summary>
    /// The candidate closest to <paramref name="key"/> by edit distance (insertions, deletions, substitutions and
    /// swaps of neighbours), when it is close enough to be a typo: at most 2 edits and fewer than half the key's
    /// length; null otherwise.
    /// </summary>
    public static string? Closest(string key, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (candidate == key)
                continue;
            int distance = Distance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
                (best, bestDistance) = (candidate, distance);
        }
        return bestDistance <= 2 && 2 * bestDistance < Math.Max(key.Length, 2) ? best : null;
    }

    /// <summary>" (did you mean X?)" for the closest candidate, or "" when none is close.</summary>
    public static string Hint(string key, IEnumerable<string> candidates) =>
        Closest(key, candidates) is { } match ? $" (did you mean {match}?)" : "";

    /// <summary>The optimal-string-alignment distance (Damerau–Levenshtein without repeated edits of a substring).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
