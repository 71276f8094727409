using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

/// <summary>
/// One step of a pass over a row, eight pairs at a time: their similarities, positive and negative masks (all bits
/// set in a lane that is such a pair), and the gradient lanes to read and update.
/// </summary>
internal interface IChunkKernel
{
    /// <summary>False for a pass that only reads the row (the gradient lanes are then neither loaded nor stored).</summary>
    bool UsesGradient { get; }

    /// <summary>Processes the pairs at columns <paramref name="column"/> to <paramref name="column"/> + 7.</summary>
    void Chunk(int column, Vector256<float> similarities, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient);
}

/// <summary>Runs an <see cref="IChunkKernel"/> over a row of pairs.</summary>
internal static class RowChunks
{
    /// <summary>
    /// Calls <paramref name="kernel"/> on each group of eight columns of <paramref name="row"/> and stores the
    /// gradient lanes back. The last, partial group is padded with ignored pairs (neither positive nor negative),
    /// whose gradient lanes are dropped.
    /// </summary>
    /// <remarks>A <see cref="QueryRow.Bounded"/> row's pairs outside the bounds are neither positive nor negative.</remarks>
    public static void Run<T>(ref QueryRow row, ref T kernel) where T : struct, IChunkKernel
    {
        if (row.Bounded)
        {
            var bounded = new BoundedKernel<T>
            {
                Inner = kernel, Positive = Vector256.Create(row.PositivesBelow), Negative = Vector256.Create(row.NegativesAbove),
            };
            RunAll(ref row, ref bounded);
            kernel = bounded.Inner;
            return;
        }
        RunAll(ref row, ref kernel);
    }

    private static void RunAll<T>(ref QueryRow row, ref T kernel) where T : struct, IChunkKernel
    {
        var query = Vector256.Create(row.QueryLabel);
        var ignored = Vector256.Create(QueryRow.Ignored);
        ref float s = ref MemoryMarshal.GetReference(row.Similarities);
        ref int labels = ref MemoryMarshal.GetReference(row.Labels);
        ref float g = ref MemoryMarshal.GetReference(row.Gradient);
        int length = row.Similarities.Length, k = 0;
        for (; k + 8 <= length; k += 8)
        {
            var l = Vector256.LoadUnsafe(ref labels, (nuint)k);
            var positives = Vector256.Equals(l, query);
            var negatives = ~(positives | Vector256.Equals(l, ignored));
            var gradient = kernel.UsesGradient ? Vector256.LoadUnsafe(ref g, (nuint)k) : default;
            kernel.Chunk(k, Vector256.LoadUnsafe(ref s, (nuint)k), positives.AsSingle(), negatives.AsSingle(), ref gradient);
            if (kernel.UsesGradient)
                gradient.StoreUnsafe(ref g, (nuint)k);
        }
        if (k == length)
            return;
        Span<float> tailS = stackalloc float[8], tailG = stackalloc float[8];
        Span<int> tailLabels = stackalloc int[8];
        tailS.Clear();
        tailG.Clear();
        tailLabels.Fill(QueryRow.Ignored);
        int rest = length - k;
        row.Similarities.Slice(k, rest).CopyTo(tailS);
        row.Labels.Slice(k, rest).CopyTo(tailLabels);
        row.Gradient.Slice(k, rest).CopyTo(tailG);
        var tailL = Vector256.Create<int>(tailLabels);
        var tailPositives = Vector256.Equals(tailL, query);
        var tailNegatives = ~(tailPositives | Vector256.Equals(tailL, ignored));
        var tailGradient = Vector256.Create<float>(tailG);
        kernel.Chunk(k, Vector256.Create<float>(tailS), tailPositives.AsSingle(), tailNegatives.AsSingle(), ref tailGradient);
        tailGradient.CopyTo(tailG);
        tailG[..rest].CopyTo(row.Gradient.Slice(k, rest));
    }

    /// <summary>The eight lanes folded into four, in double precision (for sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Widen(Vector256<float> v) => Vector256.WidenLower(v) + Vector256.WidenUpper(v);

    /// <summary>
    /// The set lanes of a mask as −1 each, to add to a per-lane count (a lane counts at most M / 8 pairs of a row, far
    /// inside the int range; <see cref="Total"/> sums the lanes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Count(Vector256<float> mask) => mask.AsInt32();

    /// <summary>The number of pairs counted in <paramref name="negatedCounts"/> (lanes of −1 per pair, from <see cref="Count"/>).</summary>
    public static long Total(Vector256<int> negatedCounts)
    {
        long total = 0;
        for (int lane = 0; lane < 8; lane++)
            total -= negatedCounts[lane];
        return total;
    }
}

/// <summary>A kernel on the pairs of a <see cref="QueryRow.Bounded"/> row: positives below one bound, negatives above another.</summary>
internal struct BoundedKernel<T> : IChunkKernel where T : struct, IChunkKernel
{
    /// <summary>The kernel that sees the kept pairs.</summary>
    public T Inner;

    /// <summary>Positives with S below this are kept.</summary>
    public Vector256<float> Positive;

    /// <summary>Negatives with S above this are kept.</summary>
    public Vector256<float> Negative;

    /// <inheritdoc />
    public readonly bool UsesGradient => Inner.UsesGradient;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Chunk(int column, Vector256<float> similarities, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient) =>
        Inner.Chunk(column, similarities, positives & Vector256.LessThan(similarities, Positive),
            negatives & Vector256.GreaterThan(similarities, Negative), ref gradient);
}

/// <summary>
/// Scales a gradient row that holds the positive pairs' entries as values ≤ 0 and the negative pairs' as values
/// &gt; 0, by one factor per side: for the row forms that first store exponentials and normalise them once their
/// sums are known.
/// </summary>
internal struct SignedScale
{
    /// <summary>The factor of the positive pairs' entries (stored ≤ 0) and of the negative pairs' (stored &gt; 0).</summary>
    public float Positive, Negative;

    /// <summary>Multiplies each entry of <paramref name="gradient"/> by the factor of its sign.</summary>
    public readonly void Apply(Span<float> gradient)
    {
        var positive = Vector256.Create(Positive);
        var negative = Vector256.Create(Negative);
        int k = 0;
        for (; k + 8 <= gradient.Length; k += 8)
        {
            var g = Vector256.Create<float>(gradient.Slice(k, 8));
            (g * Vector256.ConditionalSelect(Vector256.GreaterThan(g, Vector256<float>.Zero), negative, positive)).CopyTo(gradient.Slice(k, 8));
        }
        for (; k < gradient.Length; k++)
            gradient[k] *= gradient[k] > 0 ? Negative : Positive;
    }
}
