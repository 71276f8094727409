namespace Xbm.Data.Glyphs;

/// <summary>
/// The zero-shot split of the glyph benchmark by character: test, training and (optionally, carved from the
/// training characters) validation classes, disjoint, chosen by a seeded shuffle of the eligible characters.
/// </summary>
/// <param name="Train">The training characters (code points, ascending).</param>
/// <param name="Validation">The validation characters (ascending; empty without a validation split).</param>
/// <param name="Test">The test characters (ascending).</param>
public sealed record GlyphSplit(IReadOnlyList<int> Train, IReadOnlyList<int> Validation, IReadOnlyList<int> Test)
{
    /// <summary>The training characters that <paramref name="validationFraction"/> moves to validation (rounded half away from zero).</summary>
    public static int ValidationCount(int trainCount, double validationFraction) =>
        (int)Math.Round(trainCount * validationFraction, MidpointRounding.AwayFromZero);

    /// <summary>
    /// Splits <paramref name="eligible"/>: a Fisher–Yates shuffle seeded by <paramref name="seed"/>, the first
    /// <paramref name="testCount"/> test, the next <paramref name="trainCount"/> training, of which the share
    /// <paramref name="validationFraction"/> (rounded) becomes validation.
    /// </summary>
    /// <exception cref="ArgumentException">Too few eligible characters, or counts out of range.</exception>
    public static GlyphSplit Make(IReadOnlyList<int> eligible, int trainCount, int testCount, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(eligible);
        if (trainCount < 2)
            throw new ArgumentException($"--train-classes: {trainCount} is out of range [2, inf]");
        if (testCount < 2)
            throw new ArgumentException($"--test-classes: {testCount} is out of range [2, inf]");
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentException($"--validation: {validationFraction} is out of range [0, 1)");
        if (trainCount + testCount > eligible.Count)
            throw new ArgumentException($"only {eligible.Count} characters are drawn by enough designs, fewer than the {trainCount} training + {testCount} test classes asked for (lower --train-classes, --test-classes or --min-designs)");
        int validationCount = ValidationCount(trainCount, validationFraction);
        if (validationFraction > 0 && (validationCount < 2 || trainCount - validationCount < 2))
            throw new ArgumentException($"--validation: {validationFraction} of {trainCount} training classes leaves {validationCount} validation and {trainCount - validationCount} training classes; each needs at least 2");

        var order = eligible.Order().ToArray();
        var random = new GlyphRandom(((ulong)(uint)seed << 1) ^ 0xA0761D6478BD642FUL);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var test = order.Take(testCount).Order().ToList();
        var trainAll = order.Skip(testCount).Take(trainCount).ToList();
        var validation = trainAll.Take(validationCount).Order().ToList();
        var train = trainAll.Skip(validationCount).Order().ToList();
        return new GlyphSplit(train, validation, test);
    }

    /// <summary>The class folder name of a character: "u" and its code point in lower-case hex, e.g. u4e00.</summary>
    public static string ClassName(int codePoint) => $"u{codePoint:x4}";
}
