namespace Xbm.Losses;

/// <summary>Per-thread buffers that row evaluations reuse (grown on demand, never shrunk).</summary>
internal sealed class RowScratch
{
    private float[] _floats = Array.Empty<float>(), _positiveSimilarities = Array.Empty<float>();
    private int[] _ints = Array.Empty<int>(), _positiveColumns = Array.Empty<int>(), _selectedLabels = Array.Empty<int>(), _firstSelectedLabels = Array.Empty<int>();

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

    /// <summary>The buffer of the first miner's selected labels in a <see cref="Miners.ChainedMiner"/>.</summary>
    public Span<int> FirstSelectedLabels(int length) => Grow(ref _firstSelectedLabels, length);

    private static Span<T> Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
            buffer = new T[Math.Max(length, buffer.Length * 2)];
        return buffer.AsSpan(0, length);
    }
}
