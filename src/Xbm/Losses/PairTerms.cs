using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// What a <see cref="PairLoss"/> computes from the (detached) similarity matrix before reduction.
/// </summary>
/// <param name="Sum">The sum of the loss elements (a 0-d tensor).</param>
/// <param name="Gradient">
/// ∂Sum/∂S as a B×M matrix, or null when no pair contributes. A <see cref="SparseGradient"/> (its few non-zero
/// entries) may stand in for it.
/// </param>
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
    Tensor? RowScale = null, bool Linear = false)
{
    /// <summary>The gradient as a few (row, column, value) entries, for losses that touch O(B) pairs.</summary>
    public SparseGradient? Sparse { get; init; }
}

/// <summary>
/// A sparse ∂Sum/∂S: entries (Rows[j], Columns[j]) with Values[j]. The product G·K then is an index-add of B×d
/// key rows instead of a B×M×d product.
/// </summary>
/// <param name="Rows">Query index of each entry (int64).</param>
/// <param name="Columns">Key index of each entry (int64).</param>
/// <param name="Values">The derivative at each entry.</param>
public sealed record SparseGradient(Tensor Rows, Tensor Columns, Tensor Values);
