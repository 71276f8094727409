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
        var hardness = side == PairSide.Negative ? similarities.clone() : similarities.neg();
        hardness.masked_fill_(mask.logical_not(), double.NegativeInfinity);
        int k = (int)Math.Min(K, similarities.shape[1]);
        var (values, indices) = hardness.topk(k, dim: 1);
        var kept = values.isfinite().to(similarities.dtype);
        return zeros_like(similarities).scatter_(1, indices, kept);
    }
}
