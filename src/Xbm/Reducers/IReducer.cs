using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>
/// Turns loss elements (pairs, triplets or queries, depending on the loss) into the scalar loss. Every
/// reducer here is "sum of the elements divided by a count", so a loss can also ask for the divisor alone
/// (<see cref="Divisor"/>) and scale its own closed-form gradient by it.
/// </summary>
public interface IReducer
{
    /// <summary>The registry name, e.g. "sum_per_query".</summary>
    string Name { get; }

    /// <summary>
    /// Reduces <paramref name="losses"/> (zero where an element does not contribute).
    /// <paramref name="considered"/> marks the elements that are valid (same shape as losses);
    /// <paramref name="queryCount"/> is B.
    /// </summary>
    Tensor Reduce(Tensor losses, Tensor considered, long queryCount);

    /// <summary>
    /// The divisor of the summed loss elements: <paramref name="considered"/> valid elements, of which
    /// <paramref name="nonZero"/> have a non-zero loss, for <paramref name="queryCount"/> queries. Never below 1.
    /// </summary>
    double Divisor(long considered, long nonZero, long queryCount);
}
