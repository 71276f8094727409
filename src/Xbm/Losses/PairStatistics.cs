using static TorchSharp.torch;

namespace Xbm.Losses;

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
        var values = stack(new[]
        {
            activePositives.count_nonzero().to(float64), activeNegatives.count_nonzero().to(float64),
            where(positives, s, zero).sum().to(float64), positives.count_nonzero().to(float64),
            where(negatives, s, zero).sum().to(float64), negatives.count_nonzero().to(float64),
        }).cpu().data<double>().ToArray();
        return new PairStatistics((long)values[0], (long)values[1],
            values[3] > 0 ? values[2] / values[3] : double.NaN,
            values[5] > 0 ? values[4] / values[5] : double.NaN);
    }

    /// <summary>
    /// Statistics from known counts of contributing pairs and the valid pairs in <paramref name="valid"/>.
    /// With masks built from labels the negatives' similarity sum is the total minus the positives' and the
    /// (few) ignored pairs', so this takes about two passes over B×M.
    /// </summary>
    public static PairStatistics From(Tensor similarities, PairMasks valid, long activePositives, long activeNegatives)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = similarities.detach();
        var zero = zeros(1, dtype: s.dtype, device: s.device);
        var positiveSum = where(valid.Positives, s, zero).sum();
        Tensor negativeSum;
        if (valid.FromLabels)
        {
            negativeSum = s.sum().sub_(positiveSum);
            if (valid.IgnoredPairs is var (rows, columns))
                negativeSum.sub_(s.index(rows, columns).sum());
        }
        else
        {
            negativeSum = where(valid.Negatives, s, zero).sum();
        }
        var sums = stack(new[] { positiveSum.to(float64), negativeSum.to(float64) }).cpu().data<double>().ToArray();
        long positives = valid.PositiveCount, negatives = valid.NegativeCount;
        return new PairStatistics(activePositives, activeNegatives,
            positives > 0 ? sums[0] / positives : double.NaN,
            negatives > 0 ? sums[1] / negatives : double.NaN);
    }
}
