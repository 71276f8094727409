namespace Xbm.Data;

/// <summary>
/// Queries of an evaluation set that have no correct answer: no other image of their class among the
/// references (the gallery, or the other queries in self-retrieval). Every metric leaves them out, so a class
/// with a single image silently shrinks the evaluation unless this is reported.
/// </summary>
public static class LoneQueries
{
    /// <summary>The positions (in <see cref="EvaluationSet.Queries"/>) of the queries without a correct answer.</summary>
    public static IReadOnlyList<int> Find(EvaluationSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var queryLabels = set.Queries.Labels;
        var counts = new Dictionary<long, int>();
        foreach (long label in set.Gallery?.Labels ?? queryLabels)
            counts[label] = counts.GetValueOrDefault(label) + 1;
        int self = set.Gallery is null ? 1 : 0; // in self-retrieval a query is not its own answer
        var lone = new List<int>();
        for (int i = 0; i < queryLabels.Count; i++)
            if (counts.GetValueOrDefault(queryLabels[i]) - self <= 0)
                lone.Add(i);
        return lone;
    }

    /// <summary>
    /// One warning line for <paramref name="set"/> of split <paramref name="split"/>, or null when every query has
    /// an answer: how many of how many queries are left out, why, and an example (<paramref name="describe"/>
    /// names a query position, e.g. its file).
    /// </summary>
    public static string? Warning(string split, EvaluationSet set, Func<int, string> describe)
    {
        ArgumentNullException.ThrowIfNull(describe);
        var lone = Find(set);
        if (lone.Count == 0)
            return null;
        string name = set.Name == split ? split : $"{split} {set.Name}";
        string why = set.Gallery is null ? "their class has no other image in the split" : "their class has no image in the gallery";
        return $"{name}: {lone.Count} of {set.Queries.Count} queries are left out of every metric ({why}), e.g. {describe(lone[0])}";
    }
}
