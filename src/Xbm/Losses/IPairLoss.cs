using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// A loss over pairs formed between queries and keys. The same instance serves the batch loss (keys = the
/// batch itself) and the memory loss (keys = the memory): a loss never knows where its keys came from.
/// </summary>
public interface IPairLoss
{
    /// <summary>The registry name, e.g. "contrastive".</summary>
    string Name { get; }

    /// <summary>
    /// Computes the loss of <paramref name="queries"/> (B×d, L2-normalised, with gradient) against
    /// <paramref name="keys"/> (M×d, L2-normalised).
    /// </summary>
    /// <param name="queries">B×d query embeddings.</param>
    /// <param name="queryLabels">B labels (int64).</param>
    /// <param name="keys">M×d key embeddings.</param>
    /// <param name="keyLabels">M labels (int64).</param>
    /// <param name="ownKeys">
    /// Optional B-long int64 tensor: the index among the keys of each query's own copy, whose pair is left out (the
    /// query itself in a batch, its slot in a memory), or -1 for none; null leaves nothing out.
    /// </param>
    PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys = null);
}
