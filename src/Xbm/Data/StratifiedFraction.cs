using Xbm.Runtime;

namespace Xbm.Data;

/// <summary>
/// Keeps a share of a training split, stratified by class and seeded (<c>data.train_fraction</c>): of each class's
/// n items, round(fraction · n) (at least one) chosen uniformly with a generator derived from the seed and the
/// label, so the choice of a class does not depend on the other classes. <see cref="Split"/> also holds out a
/// validation share of each class (the classification task's validation split, docs/design.md §1).
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
        foreach (var (_, members) in ShuffledClasses(labels, seed))
            kept.AddRange(members.Take(Count(fraction, members.Count)));
        kept.Sort();
        return kept.ToArray();
    }

    /// <summary>
    /// A training part and a disjoint validation part of items with <paramref name="labels"/>, both stratified
    /// per class and seeded: each class's items are shuffled as in <see cref="Keep"/>; the first
    /// round(<paramref name="trainFraction"/> · n) train (the same items <see cref="Keep"/> keeps, so holding out a
    /// validation part does not change the training set), the last round(<paramref name="validationFraction"/> · n)
    /// (at least one) validate. Positions ascend in each part.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A fraction outside (0, 1], or the two summing above 1.</exception>
    /// <exception cref="InvalidDataException">A class too small to give an item to both parts.</exception>
    public static (int[] Train, int[] Validation) Split(IReadOnlyList<long> labels, double trainFraction, double validationFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!(trainFraction > 0 && trainFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "the training fraction is in (0, 1]");
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "the validation fraction is in (0, 1)");
        if (trainFraction + validationFraction > 1 + 1e-9)
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction,
                $"train_fraction {trainFraction} + validation_fraction {validationFraction} exceed 1 (the validation items are held out of training)");
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var (label, members) in ShuffledClasses(labels, seed))
        {
            int trained = Count(trainFraction, members.Count), validated = Count(validationFraction, members.Count);
            if (trained + validated > members.Count)
                throw new InvalidDataException($"class {label} has {members.Count} item(s): too few for {trained} training and {validated} validation item(s)");
            train.AddRange(members.Take(trained));
            validation.AddRange(members.Skip(members.Count - validated));
        }
        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }

    private static int Count(double fraction, int n) => Math.Clamp((int)Math.Round(fraction * n, MidpointRounding.AwayFromZero), 1, n);

    private static IEnumerable<(long Label, List<int> Members)> ShuffledClasses(IReadOnlyList<long> labels, ulong seed)
    {
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToList();
            SeededRandom.Derive(seed, 0x7EA1F4 ^ (ulong)group.Key).Shuffle(members);
            yield return (group.Key, members);
        }
    }
}
