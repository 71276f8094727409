using static TorchSharp.torch;

namespace Xbm.Reducers;

/// <summary>Turns per-pair (or per-query) loss values into the scalar loss.</summary>
public interface IReducer
{
    /// <summary>The registry name, e.g. "sum_per_query".</summary>
    string Name { get; }

    /// <summary>
    /// Reduces <paramref name="losses"/> (zero where a pair does not contribute).
    /// <paramref name="considered"/> marks the elements that are valid pairs (same shape as losses);
    /// <paramref name="queryCount"/> is B.
    /// </summary>
    Tensor Reduce(Tensor losses, Tensor considered, long queryCount);
}
