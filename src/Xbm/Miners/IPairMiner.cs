using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>
/// Selects informative pairs between queries and keys. Selections live in the keys' frame: a B×M boolean mask
/// whose column k is key k of the keys passed in (a batch position for the batch loss, a memory slot for the
/// memory loss), so a miner composes with any loss and with memory keys alike.
/// </summary>
public interface IPairMiner
{
    /// <summary>The registry name, e.g. "pair_margin".</summary>
    string Name { get; }

    /// <summary>
    /// Returns the B×M mask of selected pairs, a subset of the valid pairs in <paramref name="masks"/>, from the
    /// detached similarities S = Q·Kᵀ.
    /// </summary>
    Tensor Mine(Tensor similarities, PairMasks masks);
}
