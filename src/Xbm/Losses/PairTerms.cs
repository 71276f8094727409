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
public sealed record PairTerms(Tensor Sum, Tensor? Gradient, long Considered, long NonZero, long ActivePositives, long ActiveNegatives);
