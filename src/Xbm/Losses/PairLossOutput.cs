using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>What a pair loss returns: the scalar loss and how many pairs contributed to it.</summary>
/// <param name="Loss">The reduced scalar loss (carries gradient to the queries).</param>
/// <param name="Pairs">Counts and mean similarities of the pairs that contributed (non-zero loss).</param>
public sealed record PairLossOutput(Tensor Loss, PairStatistics Pairs);

/// <summary>Pair counts of one loss evaluation, read back to the host for logging.</summary>
/// <param name="Positives">Positive pairs with a non-zero contribution (the loss depends on their similarity).</param>
/// <param name="Negatives">Negative pairs with a non-zero contribution.</param>
/// <param name="MeanPositiveSimilarity">Mean similarity over all valid positive pairs (NaN when none).</param>
/// <param name="MeanNegativeSimilarity">Mean similarity over all valid negative pairs (NaN when none).</param>
public sealed record PairStatistics(long Positives, long Negatives, double MeanPositiveSimilarity, double MeanNegativeSimilarity)
{
    /// <summary>No pairs at all.</summary>
    public static PairStatistics Empty { get; } = new(0, 0, double.NaN, double.NaN);

    /// <summary>
    /// Reads statistics from the similarity matrix, the valid positive/negative masks and the masks of
    /// contributing pairs (all B×M). One host synchronisation.
    /// </summary>
    public static PairStatistics From(Tensor similarities, Tensor positives, Tensor negatives, Tensor activePositives, Tensor activeNegatives)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = similarities.detach();
        var zero = zeros(1, dtype: s.dtype, device: s.device);
        // count_nonzero and where+sum are single passes; summing a boolean tensor directly is much slower.
        var counts = stack(new[]
        {
            activePositives.count_nonzero().to(float64), activeNegatives.count_nonzero().to(float64),
            where(positives, s, zero).sum(ScalarType.Float64), positives.count_nonzero().to(float64),
            where(negatives, s, zero).sum(ScalarType.Float64), negatives.count_nonzero().to(float64),
        }).cpu().data<double>().ToArray();
        return new PairStatistics((long)counts[0], (long)counts[1],
            counts[3] > 0 ? counts[2] / counts[3] : double.NaN,
            counts[5] > 0 ? counts[4] / counts[5] : double.NaN);
    }
}
