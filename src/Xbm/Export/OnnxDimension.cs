namespace Xbm.Export;

/// <summary>One dimension of a graph input or output: a fixed <see cref="Size"/> or a symbolic <see cref="Symbol"/>.</summary>
internal readonly record struct OnnxDimension(long Size, string? Symbol)
{
    /// <summary>A fixed dimension.</summary>
    public static OnnxDimension Fixed(long size) => new(size, null);

    /// <summary>A dynamic dimension named <paramref name="symbol"/>.</summary>
    public static OnnxDimension Dynamic(string symbol) => new(0, symbol);
}
