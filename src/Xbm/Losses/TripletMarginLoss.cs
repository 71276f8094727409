using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Which triplets <see cref="TripletMarginLoss"/> uses.</summary>
public enum TripletStrategy
{
    /// <summary>Per query, the hardest positive (lowest S) and the hardest negative (highest S).</summary>
    BatchHard,

    /// <summary>Every triplet (i, p, n) with S_ip − m &lt; S_in &lt; S_ip: the negative is farther than the positive but inside the margin.</summary>
    SemiHard,

    /// <summary>Every triplet (i, p, n) of a query, a positive and a negative.</summary>
    All,
}

/// <summary>Options of <see cref="TripletMarginLoss"/>.</summary>
public sealed record TripletMarginLossOptions
{
    /// <summary>The margin m (default 0.1).</summary>
    public double Margin { get; init; } = 0.1;

    /// <summary>Which triplets to use (default batch-hard).</summary>
    public TripletStrategy Strategy { get; init; } = TripletStrategy.BatchHard;

    /// <summary>How triplet values become the loss (default the mean over the strategy's triplets).</summary>
    public string Reduction { get; init; } = "mean";
}

/// <summary>
/// Triplet margin loss on similarities: each triplet (i, p, n) contributes max(0, S_in − S_ip + m), m = 0.1.
/// </summary>
/// <remarks>
/// Loss elements are the triplets the strategy selects: one per query with a positive and a negative for
/// batch-hard, every (query, positive, negative) for all, the semi-hard ones for semi-hard. Default reduction
/// <c>mean</c> over those triplets (docs/design.md: L = mean max(0, S_an − S_ap + m)), so the scale of the memory loss
/// does not grow with the memory size; the memory only makes the selected triplets harder. <c>mean_nonzero</c>
/// (the usual choice for all-triplets) averages over the violating triplets only.
/// <para>
/// Memory bound of "all" and "semi-hard": a memory of M = 50,000 keys holds ~10⁴·4·10⁴ triplets per query, so
/// triplets are never enumerated. The positives of each query are sorted once into a B×P table (P = the most
/// positives of any query, padded with +∞) with float64 prefix sums. For each negative n, binary searches
/// (searchsorted) give the rank range of the positives p it forms a violating triplet with (S_ip &lt; S_in + m,
/// and S_ip &gt; S_in for semi-hard); its summed loss is count·(S_in + m) − (sum of those S_ip) from the prefix
/// sums, and its derivative is the count. Each positive's derivative is minus the number of negatives whose range
/// holds its rank, read from row histograms of the range ends. Time O(B·M·log P), memory O(B·M + B·P); batch-hard
/// needs O(B·M) and a sparse gradient (two keys per query).
/// </para>
/// </remarks>
public sealed partial class TripletMarginLoss : PairLoss
{
    /// <summary>Creates the loss.</summary>
    public TripletMarginLoss(TripletMarginLossOptions? options = null) : base((options ?? new TripletMarginLossOptions()).Reduction)
    {
        Options = options ?? new TripletMarginLossOptions();
    }

    /// <inheritdoc />
    public override string Name => "triplet";

    /// <summary>The options in force.</summary>
    public TripletMarginLossOptions Options { get; }

    /// <inheritdoc />
    protected override PairTerms Evaluate(Tensor similarities, PairMasks masks) => Options.Strategy switch
    {
        TripletStrategy.BatchHard => BatchHard(similarities, masks),
        _ => Enumerated(similarities, masks, Options.Strategy == TripletStrategy.SemiHard),
    };

    private PairTerms BatchHard(Tensor s, PairMasks masks)
    {
        var (hardestPositive, positiveIndex) = where(masks.Positives, s, PairMath.Scalar(s, double.PositiveInfinity)).min(1, keepdim: true);
        var (hardestNegative, negativeIndex) = where(masks.Negatives, s, PairMath.Scalar(s, double.NegativeInfinity)).max(1, keepdim: true);
        var anchors = hardestPositive.isfinite().logical_and_(hardestNegative.isfinite());
        // Rows without a positive or a negative give −∞ here and are cleared by the anchor mask.
        using var margin = Options.Margin.ToScalar();
        var hinge = hardestNegative.sub(hardestPositive).add_(margin, Scalars.One).clamp_min_(Scalars.Zero).masked_fill_(anchors.logical_not(), Scalars.Zero);
        var active = hinge.gt(Scalars.Zero);
        long activeCount = PairMath.Count(active);
        long anchorCount = PairMath.Count(anchors);
        if (activeCount == 0)
            return new PairTerms(hinge.sum(), null, anchorCount, 0, 0, 0);
        // Two non-zero derivatives per active query (+1 at its hardest negative, −1 at its hardest positive): a
        // sparse gradient, so the backward product is an index-add of 2B key rows, not a B×M×d product.
        var activeFloat = active.to(s.dtype).squeeze(1);
        using var rowCount = s.shape[0].ToScalar();
        var rows = arange(Scalars.Zero, rowCount, Scalars.One, dtype: int64, device: s.device);
        var sparse = new SparseGradient(cat(new[] { rows, rows }), cat(new[] { negativeIndex.squeeze(1), positiveIndex.squeeze(1) }),
            cat(new[] { activeFloat, activeFloat.neg() }));
        return new PairTerms(hinge.sum(), null, anchorCount, activeCount, activeCount, activeCount) { Sparse = sparse };
    }

    private PairTerms Enumerated(Tensor s, PairMasks masks, bool semiHard)
    {
        double margin = Options.Margin;
        long most = masks.PositivesPerQuery.max().item<long>();
        if (most == 0 || masks.NegativeCount == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, 0, 0, 0, 0);

        // The positives of each query, sorted ascending into a B×P table padded with +∞ (P = the most positives of
        // any query), and their float64 prefix sums: prefix[i, r] = sum of the r smallest.
        var (sortedPositives, positiveIndex) = where(masks.Positives, s, PairMath.Scalar(s, double.PositiveInfinity))
            .topk((int)most, dim: 1, largest: false, sorted: true);
        var finite = where(sortedPositives.isfinite(), sortedPositives, PairMath.Scalar(s, 0)).to(float64);
        var prefix = cat(new[] { zeros(s.shape[0], 1, dtype: float64, device: s.device), finite.cumsum(1) }, 1);

        // For each negative n of query i, the positives p in a violating triplet: S_ip &lt; S_in + m (all), and also
        // S_ip &gt; S_in (semi-hard). Binary searches give their rank range [lower, upper) in the sorted table.
        using var marginScalar = margin.ToScalar();
        var shifted = s.add(marginScalar, Scalars.One);
        var upper = searchsorted(sortedPositives, shifted, right: false);
        var lower = semiHard ? searchsorted(sortedPositives, s, right: true) : zeros_like(upper);
        var zeroIndex = zeros(1, dtype: int64, device: s.device);
        var counts = where(masks.Negatives, upper.sub(lower).clamp_min_(Scalars.Zero), zeroIndex);
        // Σ_p (S_in + m − S_ip) over that range = count · (S_in + m) − (prefix[upper] − prefix[lower]).
        var positiveSums = prefix.gather(1, upper).sub_(prefix.gather(1, lower));
        var perNegative = where(masks.Negatives, shifted.to(float64).mul_(counts).sub_(positiveSums), zeros(1, dtype: float64, device: s.device));

        // A positive of rank r is in the range of negative n when lower_n ≤ r &lt; upper_n: count those with
        // row histograms of upper and lower and their cumulative sums.
        var negativeOnes = masks.Negatives.to(int64);
        var upperHistogram = zeros(s.shape[0], most + 1, dtype: int64, device: s.device).scatter_add_(1, upper, negativeOnes);
        var positiveRankCounts = masks.NegativesPerQuery.unsqueeze(1).sub(upperHistogram.cumsum(1).narrow(1, 0, most));
        if (semiHard)
        {
            var lowerHistogram = zeros(s.shape[0], most + 1, dtype: int64, device: s.device).scatter_add_(1, lower, negativeOnes);
            positiveRankCounts.sub_(masks.NegativesPerQuery.unsqueeze(1).sub(lowerHistogram.cumsum(1).narrow(1, 0, most)));
        }

        long nonZero = counts.sum().item<long>();
        long considered = semiHard ? nonZero : masks.PositivesPerQuery.mul(masks.NegativesPerQuery).sum().item<long>();
        if (nonZero == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, considered, 0, 0, 0);
        // ∂/∂S_in = number of its violating triplets; ∂/∂S_ip = minus that of the positive (padding adds 0).
        var gradient = counts.to(s.dtype).scatter_add_(1, positiveIndex, positiveRankCounts.neg().to(s.dtype));
        return new PairTerms(perNegative.sum().to(s.dtype), gradient, considered, nonZero,
            PairMath.Count(positiveRankCounts), PairMath.Count(counts));
    }
}
