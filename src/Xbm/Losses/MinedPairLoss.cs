using Xbm.Miners;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// A pair loss restricted to the pairs a miner selects. Works for the batch loss and the memory loss alike,
/// because miners select in the keys' frame; the trainer only ever sees <see cref="IPairLoss"/>.
/// </summary>
/// <remarks>
/// The similarity matrix is computed once and shared by the miner and the loss; when the loss has a host row form
/// (<see cref="PairLoss.HostRows"/>), the built-in miners select row by row as well, without B×M masks. The pair
/// statistics count the contributing pairs among the mined ones; their mean similarities describe all valid pairs,
/// as without a miner.
/// </remarks>
public sealed class MinedPairLoss : IPairLoss
{
    /// <summary>Wraps <paramref name="loss"/> with <paramref name="miner"/>.</summary>
    public MinedPairLoss(IPairMiner miner, PairLoss loss)
    {
        Miner = miner;
        Loss = loss;
    }

    /// <summary>The miner.</summary>
    public IPairMiner Miner { get; }

    /// <summary>The wrapped loss (a loss of this library: it receives the mined pairs as masks or rows).</summary>
    public PairLoss Loss { get; }

    /// <summary>The wrapped loss's name (the miner shows in <see cref="Miner"/>).</summary>
    public string Name => Loss.Name;

    /// <inheritdoc />
    public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys = null)
    {
        PairLoss.CheckInputs(queries, queryLabels, keys, keyLabels);
        if (keys.shape[0] == 0)
        {
            PairMasks.CheckOwnKeys(ownKeys, queries.shape[0], 0);
            return PairLoss.Zero(queries);
        }
        using var scope = NewDisposeScope();
        if (Miner is IRowMiner rowMiner && Miner is not ChainedMiner { HasRowForm: false }
            && Loss.TryComputeRows(queries, queryLabels, keys, keyLabels, ownKeys, rowMiner) is { } rows)
        {
            rows.Loss.MoveToOuterDisposeScope();
            return rows;
        }
        var similarities = PairLoss.Similarities(queries, keys);
        using var masks = PairMasks.Create(queryLabels, keyLabels, ownKeys);
        // A chain restricts in two steps, so that the loss sees the pairs its last miner chose among (its candidates).
        using var first = Miner is ChainedMiner chain ? chain.Restrict(similarities, masks) : null;
        var candidates = first ?? masks;
        Tensor selected;
        using (no_grad())
            selected = (Miner is ChainedMiner chained ? chained.Then : Miner).Mine(similarities, candidates);
        using var mined = candidates.Restrict(selected);
        var output = Loss.Compute(queries, keys, similarities, mined, masks);
        output.Loss.MoveToOuterDisposeScope();
        return output;
    }
}
