using System.Runtime.Intrinsics;

namespace Xbm.Losses;

/// <summary>
/// One query's row of a host evaluation (<see cref="PairRows"/>): its similarities to every key, the keys' labels
/// with the row's ignored keys marked <see cref="PairRows.Ignored"/>, the gradient row to fill (zeroed before the
/// loss sees it) and the row's <see cref="RowSummary"/>.
/// </summary>
internal ref struct PairRow
{
    /// <summary>The query's label: keys with this label are positives.</summary>
    public int QueryLabel;

    /// <summary>S_ik for every key k.</summary>
    public ReadOnlySpan<float> Similarities;

    /// <summary>The keys' labels; <see cref="PairRows.Ignored"/> for the pairs this row leaves out.</summary>
    public ReadOnlySpan<int> Labels;

    /// <summary>∂Sum/∂S_ik, written by the loss (all zero on entry).</summary>
    public Span<float> Gradient;

    /// <summary>Counts, sums and extremes of the row's positives and negatives.</summary>
    public RowSummary Summary;

    /// <summary>Reusable buffers of the thread evaluating this row.</summary>
    public RowScratch Scratch;

    /// <summary>The similarities of the row's valid positives, in column order (listed with the summary; the loss may reorder them).</summary>
    public Span<float> PositiveSimilarities;

    /// <summary>The columns of the row's valid positives, matching <see cref="PositiveSimilarities"/>.</summary>
    public Span<int> PositiveColumns;
}

/// <summary>Counts, similarity sums and extremes of one row's valid positives and negatives.</summary>
internal struct RowSummary
{
    public long Positives, Negatives;
    public double PositiveSum, NegativeSum;

    /// <summary>Extremes: +∞ (minimum) and −∞ (maximum) for an empty side.</summary>
    public float MinPositive, MaxPositive, MaxNegative;
}

/// <summary>What a loss reports for one row; the same counts as <see cref="PairTerms"/>, and the row's summed loss.</summary>
internal struct RowTerms
{
    public double Sum;
    public long Considered, NonZero, ActivePositives, ActiveNegatives;

    /// <summary>
    /// The terms of a loss whose elements are pairs: every valid pair considered, the contributing ones non-zero.
    /// The counts come as lane sums of −1 per pair (see <see cref="RowChunks.WidenCount"/>).
    /// </summary>
    public static RowTerms Pairs(in RowSummary summary, double sum, Vector256<long> negatedPositives, Vector256<long> negatedNegatives)
    {
        long positives = -Vector256.Sum(negatedPositives), negatives = -Vector256.Sum(negatedNegatives);
        return new RowTerms
        {
            Sum = sum, Considered = summary.Positives + summary.Negatives,
            NonZero = positives + negatives, ActivePositives = positives, ActiveNegatives = negatives,
        };
    }
}

/// <summary>Per-thread buffers that row evaluations reuse (grown on demand, never shrunk).</summary>
internal sealed class RowScratch
{
    private float[] _floats = Array.Empty<float>(), _positiveSimilarities = Array.Empty<float>();
    private int[] _ints = Array.Empty<int>(), _positiveColumns = Array.Empty<int>(), _selectedLabels = Array.Empty<int>();

    /// <summary>A float buffer of <paramref name="length"/> elements (contents undefined).</summary>
    public Span<float> Floats(int length) => Grow(ref _floats, length);

    /// <summary>An int buffer of <paramref name="length"/> elements (contents undefined).</summary>
    public Span<int> Ints(int length) => Grow(ref _ints, length);

    /// <summary>The buffer of the positives' similarities listed by the summary pass.</summary>
    public Span<float> PositiveSimilarities(int length) => Grow(ref _positiveSimilarities, length);

    /// <summary>The buffer of the positives' columns listed by the summary pass.</summary>
    public Span<int> PositiveColumns(int length) => Grow(ref _positiveColumns, length);

    /// <summary>The buffer of a miner's selected labels for the row (see <see cref="Miners.IRowMiner"/>).</summary>
    public Span<int> SelectedLabels(int length) => Grow(ref _selectedLabels, length);

    private static Span<T> Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
            buffer = new T[Math.Max(length, buffer.Length * 2)];
        return buffer.AsSpan(0, length);
    }
}
