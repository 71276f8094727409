using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>Conveniences for running a miner directly on embeddings and reading its pairs.</summary>
public static class PairMining
{
    /// <summary>
    /// Mines the pairs between <paramref name="queries"/> and <paramref name="keys"/> (without gradient) and returns
    /// the B×M selection mask; <paramref name="ownKeys"/> (each query's own key index, -1 for none) may be null.
    /// </summary>
    public static Tensor Mine(this IPairMiner miner, Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys = null)
    {
        PairLoss.CheckInputs(queries, queryLabels, keys, keyLabels);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var similarities = PairLoss.Similarities(queries, keys);
        using var masks = PairMasks.Create(queryLabels, keyLabels, ownKeys);
        return miner.Mine(similarities, masks).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mines and returns the selected pairs as (query, key) index pairs, split into positives and negatives.
    /// </summary>
    public static PairIndices MinePairs(this IPairMiner miner, Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys = null)
    {
        PairLoss.CheckInputs(queries, queryLabels, keys, keyLabels);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var similarities = PairLoss.Similarities(queries, keys);
        using var masks = PairMasks.Create(queryLabels, keyLabels, ownKeys);
        var selected = miner.Mine(similarities, masks);
        var positives = selected.logical_and(masks.Positives).nonzero().MoveToOuterDisposeScope();
        var negatives = selected.logical_and(masks.Negatives).nonzero().MoveToOuterDisposeScope();
        return new PairIndices(positives, negatives);
    }
}
