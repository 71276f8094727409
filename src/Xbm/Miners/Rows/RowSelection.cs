using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Xbm.Losses;

namespace Xbm.Miners;

/// <summary>A rule that keeps pairs of a row, eight at a time (see <see cref="RowSelection"/>).</summary>
internal interface IKeepRule
{
    /// <summary>The lanes to keep among the valid pairs (all bits set in a kept lane); other lanes are ignored.</summary>
    Vector256<int> Keep(Vector256<float> similarities, Vector256<int> positives, Vector256<int> negatives);
}

/// <summary>Keeps the positives below one bound and the negatives above another (the threshold miners' rule).</summary>
internal struct BoundRule : IKeepRule
{
    /// <summary>Positives with S below this are kept.</summary>
    public Vector256<float> Positive;

    /// <summary>Negatives with S above this are kept.</summary>
    public Vector256<float> Negative;

    /// <inheritdoc />
    public readonly Vector256<int> Keep(Vector256<float> similarities, Vector256<int> positives, Vector256<int> negatives) =>
        (positives & Vector256.LessThan(similarities, Positive).AsInt32()) | (negatives & Vector256.GreaterThan(similarities, Negative).AsInt32());
}

/// <summary>Keeps every positive and no negative.</summary>
internal struct PositivesRule : IKeepRule
{
    /// <inheritdoc />
    public readonly Vector256<int> Keep(Vector256<float> similarities, Vector256<int> positives, Vector256<int> negatives) => positives;
}

/// <summary>Writes a row's selected labels from a per-pair rule: the row form of a threshold miner.</summary>
internal static unsafe class RowSelection
{
    /// <summary>
    /// As <see cref="Apply"/>, and sets <paramref name="row"/>'s <see cref="QueryRow.Summary"/> (with its listing of
    /// positives) to the summary of the selected pairs, in the same pass: what <see cref="RowEvaluator.Summarise(ref QueryRow)"/>
    /// gives on the selected labels.
    /// </summary>
    public static void ApplyAndSummarise<T>(ref QueryRow row, Span<int> selected, ref T rule) where T : struct, IKeepRule
    {
        fixed (int* labels = row.Labels)
        fixed (int* output = selected)
        {
            var filter = new SelectionFilter<T>
            {
                Labels = labels, Selected = output, Length = row.Labels.Length, Ignored = Vector256.Create(QueryRow.Ignored), Rule = rule,
            };
            row.Summary = RowEvaluator.Summarise(ref row, ref filter);
        }
    }

    /// <summary>
    /// Applies a threshold selection lazily: marks <paramref name="row"/> bounded (positives below
    /// <paramref name="positive"/>, negatives above <paramref name="negative"/>) and sets its summary's hardest pairs
    /// to the kept ones' (a side's hardest pair is kept when any is), leaving the other summary fields unknown.
    /// </summary>
    public static void Bound(ref QueryRow row, float positive, float negative)
    {
        row.Bounded = true;
        row.PositivesBelow = positive;
        row.NegativesAbove = negative;
        float hardestPositive = row.Summary.MinPositive < positive ? row.Summary.MinPositive : float.PositiveInfinity;
        float hardestNegative = row.Summary.MaxNegative > negative ? row.Summary.MaxNegative : float.NegativeInfinity;
        row.Summary = new RowSummary { MinPositive = hardestPositive, MaxPositive = float.NaN, MaxNegative = hardestNegative };
    }

    // Keeps the pairs the rule keeps and writes the group's selected labels (dropped valid pairs marked ignored).
    private struct SelectionFilter<T> : IPairFilter where T : struct, IKeepRule
    {
        public int* Labels, Selected;
        public int Length;
        public Vector256<int> Ignored;
        public T Rule;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Keep(int column, Vector256<float> similarities, ref Vector256<float> positives, ref Vector256<float> negatives)
        {
            var keep = Rule.Keep(similarities, positives.AsInt32(), negatives.AsInt32());
            var dropped = (positives | negatives).AsInt32() & ~keep;
            positives &= keep.AsSingle();
            negatives &= keep.AsSingle();
            if (column + 8 <= Length)
            {
                Vector256.ConditionalSelect(dropped, Ignored, Vector256.Load(Labels + column)).Store(Selected + column);
                return;
            }
            for (int lane = 0; column + lane < Length; lane++)
                Selected[column + lane] = dropped.GetElement(lane) != 0 ? QueryRow.Ignored : Labels[column + lane];
        }
    }

    /// <summary>
    /// Copies <paramref name="row"/>'s labels into <paramref name="selected"/>, with the valid pairs that
    /// <paramref name="rule"/> does not keep set to <see cref="QueryRow.Ignored"/>.
    /// </summary>
    public static void Apply<T>(ref QueryRow row, Span<int> selected, ref T rule) where T : struct, IKeepRule
    {
        var query = Vector256.Create(row.QueryLabel);
        var ignored = Vector256.Create(QueryRow.Ignored);
        ref float s = ref MemoryMarshal.GetReference(row.Similarities);
        ref int labels = ref MemoryMarshal.GetReference(row.Labels);
        ref int output = ref MemoryMarshal.GetReference(selected);
        int length = row.Similarities.Length, k = 0;
        for (; k + 8 <= length; k += 8)
        {
            var l = Vector256.LoadUnsafe(ref labels, (nuint)k);
            Select(l, Vector256.LoadUnsafe(ref s, (nuint)k), query, ignored, ref rule).StoreUnsafe(ref output, (nuint)k);
        }
        if (k == length)
            return;
        // The last, partial group, padded with ignored pairs.
        Span<float> tailS = stackalloc float[8];
        Span<int> tailLabels = stackalloc int[8];
        tailS.Clear();
        tailLabels.Fill(QueryRow.Ignored);
        int rest = length - k;
        row.Similarities.Slice(k, rest).CopyTo(tailS);
        row.Labels.Slice(k, rest).CopyTo(tailLabels);
        var tail = Select(Vector256.Create<int>(tailLabels), Vector256.Create<float>(tailS), query, ignored, ref rule);
        for (int lane = 0; lane < rest; lane++)
            selected[k + lane] = tail.GetElement(lane);
    }

    private static Vector256<int> Select<T>(Vector256<int> labels, Vector256<float> s, Vector256<int> query, Vector256<int> ignored, ref T rule)
        where T : struct, IKeepRule
    {
        var positives = Vector256.Equals(labels, query);
        var negatives = ~(positives | Vector256.Equals(labels, ignored));
        var dropped = (positives | negatives) & ~rule.Keep(s, positives, negatives);
        return Vector256.ConditionalSelect(dropped, ignored, labels);
    }
}
