using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// What a <see cref="PairLoss"/> computes from the (detached) similarity matrix before reduction.
/// </summary>
/// <param name="Sum">The sum of the loss elements (a 0-d tensor).</param>
/// <param name="Gradient">∂Sum/∂S as a B×M matrix, or null when no pair contributes.</param>
/// <param name="Considered">How many loss elements (pairs, triplets or queries) were considered.</param>
/// <param name="NonZero">How many of them have a non-zero loss.</param>
/// <param name="ActivePositives">How many positive pairs contribute (non-zero gradient).</param>
/// <param name="ActiveNegatives">How many negative pairs contribute (non-zero gradient).</param>
/// <param name="RowScale">
/// Optional B×1 factor of each row of the gradient: ∂Sum/∂S = RowScale ⊙ Gradient. Applied to the B×d product
/// G·K instead of the B×M matrix, which saves a pass for losses whose gradient rows share a normaliser.
/// </param>
/// <param name="Linear">
/// True for a loss that is linear in S given its (detached) weights: Sum then holds only the constant part and
/// the full sum is Sum + Σ G ⊙ S, which equals ⟨Q, G·K⟩ and is read from the product the backward pass needs
/// anyway instead of a pass over B×M.
/// </param>
public sealed record PairTerms(Tensor Sum, Tensor? Gradient, long Considered, long NonZero, long ActivePositives, long ActiveNegatives,
    Tensor? RowScale = null, bool Linear = false);
