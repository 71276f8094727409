using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// Weight 1 for the <see cref="K"/> hardest pairs of each query on the side (highest-similarity negatives,
/// lowest-similarity positives), 0 for the rest; all of them when a query has fewer.
/// </summary>
public sealed record TopKWeight : IWeightCurve
{
    /// <summary>How many pairs per query keep weight 1 (default 10).</summary>
    public int K { get; init; } = 10;

    /// <inheritdoc />
    public string Name => "topk";

    /// <inheritdoc />
    public Tensor Weights(Tensor similarities, Tensor mask, PairSide side)
    {
        bool negative = side == PairSide.Negative;
        var candidates = where(mask, similarities, PairMath.Scalar(similarities, negative ? double.NegativeInfinity : double.PositiveInfinity));
        int k = (int)Math.Min(K, similarities.shape[1]);
        var (values, indices) = candidates.topk(k, dim: 1, largest: negative);
        var kept = values.isfinite().to(similarities.dtype);
        return zeros_like(similarities).scatter_(1, indices, kept);
    }
}
