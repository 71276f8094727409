using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>
/// Keeps every positive and the <see cref="K"/> hardest (highest-similarity) negatives of each query; all
/// negatives of a query that has fewer.
/// </summary>
public sealed partial class HardestNegativeMiner : IPairMiner, IRowMiner
{
    /// <summary>Creates the miner.</summary>
    public HardestNegativeMiner(int k = 10)
    {
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        K = k;
    }

    /// <summary>Negatives kept per query (default 10).</summary>
    public int K { get; }

    /// <inheritdoc />
    public string Name => "hardest_negatives";

    /// <inheritdoc />
    public Tensor Mine(Tensor similarities, PairMasks masks)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var negatives = masks.OnSide(similarities, PairSide.Negative);
        int k = (int)Math.Min(K, similarities.shape[1]);
        var (values, indices) = negatives.topk(k, dim: 1);
        var selected = zeros_like(masks.Negatives).scatter_(1, indices, values.isfinite());
        return selected.logical_or_(masks.Positives).MoveToOuterDisposeScope();
    }
}
