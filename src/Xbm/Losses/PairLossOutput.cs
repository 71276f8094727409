using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>What a pair loss returns: the scalar loss and how many pairs contributed to it.</summary>
/// <param name="Loss">The reduced scalar loss (carries gradient to the queries).</param>
/// <param name="Pairs">Counts and mean similarities of the pairs that contributed (non-zero loss).</param>
public sealed record PairLossOutput(Tensor Loss, PairStatistics Pairs);
