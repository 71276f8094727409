namespace Xbm.Data.Clips;

/// <summary>
/// Orders file names as people count: runs of digits compare as numbers (frame_2 before frame_10, 007 equal in
/// value to 7 but placed after it), other text compares case-insensitively; remaining ties fall back to ordinal order.
/// </summary>
public sealed class NaturalFileNameComparer : IComparer<string?>
{
    /// <summary>The shared instance.</summary>
    public static NaturalFileNameComparer Instance { get; } = new();

    /// <inheritdoc/>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            bool dx = char.IsAsciiDigit(x[i]), dy = char.IsAsciiDigit(y[j]);
            if (dx && dy)
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i]))
                    i++;
                while (j < y.Length && char.IsAsciiDigit(y[j]))
                    j++;
                var a = x.AsSpan(si, i - si).TrimStart('0');
                var b = y.AsSpan(sj, j - sj).TrimStart('0');
                if (a.Length != b.Length)
                    return a.Length.CompareTo(b.Length);
                int digits = a.SequenceCompareTo(b);
                if (digits != 0)
                    return Math.Sign(digits);
                if (i - si != j - sj)
                    return (i - si).CompareTo(j - sj); // fewer leading zeros first
                continue;
            }
            if (dx != dy)
                return dx ? -1 : 1; // digits before text
            int c = char.ToUpperInvariant(x[i]).CompareTo(char.ToUpperInvariant(y[j]));
            if (c != 0)
                return c;
            i++;
            j++;
        }
        if (i < x.Length || j < y.Length)
            return i < x.Length ? 1 : -1;
        return string.CompareOrdinal(x, y);
    }
}
