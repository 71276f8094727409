namespace Xbm.Inference;

/// <summary>N embeddings of d dimensions, row-major float32: row i is image i's unit-length embedding.</summary>
public sealed class EmbeddingMatrix
{
    /// <summary>Wraps <paramref name="values"/> (length <paramref name="count"/> × <paramref name="dimension"/>).</summary>
    public EmbeddingMatrix(float[] values, int count, int dimension)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (values.Length != (long)count * dimension)
            throw new ArgumentException($"{values.Length} values for {count} × {dimension} embeddings", nameof(values));
        Values = values;
        Count = count;
        Dimension = dimension;
    }

    /// <summary>All values, row after row.</summary>
    public float[] Values { get; }

    /// <summary>Number of embeddings N.</summary>
    public int Count { get; }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Embedding <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        return Values.AsSpan(row * Dimension, Dimension);
    }
}
