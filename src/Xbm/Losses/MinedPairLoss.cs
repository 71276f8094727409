using Xbm.Miners;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// A pair loss restricted to the pairs a miner selects: pairs not selected are added to the ignore mask. Works
/// for the batch loss and the memory loss alike, because miners select in the keys' frame; the trainer only
/// ever sees <see cref="IPairLoss"/>.
/// </summary>
/// <remarks>
/// With a loss of this library (<see cref="PairLoss"/>) the similarity matrix is computed once and shared by the
/// miner and the loss; when the loss has a host row form (<see cref="PairLoss.HostRows"/>), the built-in miners
/// select row by row as well, without B×M masks. The pair statistics count the contributing pairs among the mined
/// ones; their mean similarities describe all valid pairs, as without a miner.
/// </remarks>
public sealed class MinedPairLoss : IPairLoss
{
    /// <summary>Wraps <paramref name="loss"/> with <paramref name="miner"/>.</summary>
    public MinedPairLoss(IPairMiner miner, IPairLoss loss)
    {
        Miner = miner;
        Loss = loss;
    }

    /// <summary>The miner.</summary>
    public IPairMiner Miner { get; }

    /// <summary>The wrapped loss.</summary>
    public IPairLoss Loss { get; }

    /// <summary>The wrapped loss's name (the miner shows in <see cref="Miner"/>).</summary>
    public string Name => Loss.Name;

    /// <inheritdoc />
    public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ignore = null)
    {
        PairLoss.CheckInputs(queries, queryLabels, keys, keyLabels);
        using var scope = NewDisposeScope();
        if (Loss is PairLoss rowLoss && Miner is IRowMiner rowMiner
            && rowLoss.TryComputeRows(queries, queryLabels, keys, keyLabels, ignore, rowMiner) is { } rows)
        {
            rows.Loss.MoveToOuterDisposeScope();
            return rows;
        }
        var similarities = PairLoss.Similarities(queries, keys);
        using var masks = PairMasks.Create(queryLabels, keyLabels, ignore);
        Tensor selected;
        using (no_grad())
            selected = Miner.Mine(similarities, masks);
        PairLossOutput output;
        if (Loss is PairLoss pairLoss)
        {
            using var mined = masks.Restrict(selected);
            output = pairLoss.Compute(queries, keys, similarities, mined, masks);
        }
        else
        {
            var extended = selected.logical_not();
            if (ignore is not null)
                extended.logical_or_(ignore);
            output = Loss.Compute(queries, queryLabels, keys, keyLabels, extended);
        }
        output.Loss.MoveToOuterDisposeScope();
        return output;
    }
}
