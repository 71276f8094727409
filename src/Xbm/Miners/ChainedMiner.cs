using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>
/// Two miners in turn: <see cref="Then"/> selects among the pairs <see cref="First"/> selected. The factory builds
/// it for a configured miner with a loss that brings its own (<c>loss: {name: multi_similarity, mining: true}</c>
/// with <c>miner: {...}</c>: the multi-similarity mining runs on the configured miner's pairs).
/// </summary>
public sealed class ChainedMiner : IPairMiner, IRowMiner
{
    /// <summary>Chains <paramref name="first"/> and <paramref name="then"/> (neither may itself be a chain).</summary>
    public ChainedMiner(IPairMiner first, IPairMiner then)
    {
        // The row form keeps the first selection in one per-thread buffer, so chains do not nest.
        if (first is ChainedMiner || then is ChainedMiner)
            throw new ArgumentException("a ChainedMiner chains two miners that are not chains themselves");
        First = first;
        Then = then;
    }

    /// <summary>The miner that selects first.</summary>
    public IPairMiner First { get; }

    /// <summary>The miner that selects among <see cref="First"/>'s pairs.</summary>
    public IPairMiner Then { get; }

    /// <inheritdoc />
    public string Name => $"{First.Name}+{Then.Name}";

    /// <summary>True when both miners have a row form.</summary>
    internal bool HasRowForm => First is IRowMiner && Then is IRowMiner;

    /// <inheritdoc />
    public Tensor Mine(Tensor similarities, PairMasks masks)
    {
        using var scope = NewDisposeScope();
        using var first = Restrict(similarities, masks);
        return Then.Mine(similarities, first).MoveToOuterDisposeScope();
    }

    /// <summary>The masks restricted to <see cref="First"/>'s pairs (their candidates are <paramref name="masks"/>).</summary>
    internal PairMasks Restrict(Tensor similarities, PairMasks masks)
    {
        using var selected = First.Mine(similarities, masks);
        return masks.Restrict(selected);
    }

    bool IRowMiner.SelectRow(ref QueryRow row, Span<int> selected)
    {
        var first = row.Scratch.FirstSelectedLabels(row.Labels.Length);
        bool summarised = ((IRowMiner)First).SelectRow(ref row, first);
        row.Labels = first;
        if (!summarised)
            row.Summary = RowEvaluator.Summarise(ref row);
        row.Candidates = row.Summary;
        return ((IRowMiner)Then).SelectRow(ref row, selected);
    }

    bool IRowMiner.TrySelectByBounds(ref QueryRow row) => false;
}
