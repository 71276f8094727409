namespace Xbm.Evaluation;

/// <summary>
/// The same-set rule of retrieval (docs/design.md §5), in one place: when queries are searched against their own
/// set, each query is left out of its own results by index (an exact duplicate of it still counts), so it has one
/// reference fewer to retrieve and one same-label reference fewer. Evaluation, k-NN search and the report's
/// retrieval examples all apply it through this class.
/// </summary>
public static class SelfExclusion
{
    /// <summary>The references a query can retrieve among <paramref name="references"/>: all of them, less itself in same-set mode.</summary>
    public static long Available(long references, bool sameSet) => references - (sameSet ? 1 : 0);

    /// <summary>True when <paramref name="reference"/> is query <paramref name="query"/> itself (only in same-set mode).</summary>
    public static bool IsSelf(bool sameSet, int query, long reference) => sameSet && reference == query;

    /// <summary>
    /// For each query, R: the number of references sharing its label, itself excluded in same-set mode (where
    /// <paramref name="referenceLabels"/> are the query labels). Queries with R = 0 have no correct answer.
    /// </summary>
    public static int[] RelevantCounts(IReadOnlyList<long> queryLabels, IReadOnlyList<long> referenceLabels, bool sameSet)
    {
        ArgumentNullException.ThrowIfNull(queryLabels);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        var perLabel = new Dictionary<long, int>();
        foreach (long label in referenceLabels)
            perLabel[label] = perLabel.GetValueOrDefault(label) + 1;
        int self = sameSet ? 1 : 0;
        var counts = new int[queryLabels.Count];
        for (int i = 0; i < counts.Length; i++)
            counts[i] = perLabel.GetValueOrDefault(queryLabels[i]) - self;
        return counts;
    }
}
