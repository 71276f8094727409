using Xbm.Runtime;

namespace Xbm.Data;

/// <summary>
/// Keeps a share of a training split, stratified by class and seeded (<c>data.train_fraction</c>): of each class's
/// n items, round(fraction · n) (at least one) chosen uniformly with a generator derived from the seed and the
/// label, so the choice of a class does not depend on the other classes.
/// </summary>
public static class StratifiedFraction
{
    /// <summary>The positions kept of items with <paramref name="labels"/>, in ascending order.</summary>
    public static int[] Keep(IReadOnlyList<long> labels, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the fraction kept is in (0, 1]");
        if (fraction == 1)
            return Enumerable.Range(0, labels.Count).ToArray();
        var kept = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToList();
            int count = Math.Clamp((int)Math.Round(fraction * members.Count, MidpointRounding.AwayFromZero), 1, members.Count);
            SeededRandom.Derive(seed, 0x7EA1F4 ^ (ulong)group.Key).Shuffle(members);
            kept.AddRange(members.Take(count));
        }
        kept.Sort();
        return kept.ToArray();
    }
}
