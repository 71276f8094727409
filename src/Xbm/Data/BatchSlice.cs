namespace Xbm.Data;

/// <summary>The argument check of <see cref="IImageSet.LoadSlice"/>: a data-parallel rank's entries of a batch.</summary>
internal static class BatchSlice
{
    /// <summary>Throws unless entries <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1 lie inside the batch.</summary>
    public static void Check(IReadOnlyList<int> positions, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (first < 0 || count < 0 || first + count > positions.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"entries {first} to {first + count - 1} are outside the batch of {positions.Count}");
    }
}
