using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>Mined pairs as index pairs (query row, key column) in the keys' frame, for inspection.</summary>
/// <param name="Positives">P×2 int64 tensor of (query, key) positive pairs.</param>
/// <param name="Negatives">N×2 int64 tensor of (query, key) negative pairs.</param>
public sealed record PairIndices(Tensor Positives, Tensor Negatives) : IDisposable
{
    /// <summary>The positive pairs as host tuples.</summary>
    public IReadOnlyList<(long Query, long Key)> PositiveList => ToList(Positives);

    /// <summary>The negative pairs as host tuples.</summary>
    public IReadOnlyList<(long Query, long Key)> NegativeList => ToList(Negatives);

    /// <inheritdoc />
    public void Dispose()
    {
        Positives.Dispose();
        Negatives.Dispose();
    }

    private static List<(long, long)> ToList(Tensor pairs)
    {
        using var host = pairs.cpu().contiguous();
        long[] flat = host.data<long>().ToArray();
        var result = new List<(long, long)>(flat.Length / 2);
        for (int i = 0; i + 1 < flat.Length; i += 2)
            result.Add((flat[i], flat[i + 1]));
        return result;
    }
}
