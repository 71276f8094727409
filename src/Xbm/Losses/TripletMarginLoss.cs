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
/// <c>mean</c> over those triplets (SPEC: L = mean max(0, S_an − S_ap + m)), so the scale of the memory loss
/// does not grow with the memory size; the memory only makes the selected triplets harder. <c>mean_nonzero</c>
/// (the usual choice for all-triplets) averages over the violating triplets only.
/// <para>
/// Memory bound of "all" and "semi-hard": a memory of M = 50,000 keys has ~10⁴·4·10⁴ triplets per query, so
/// triplets are never enumerated. Per query the negatives' similarities are sorted once (with prefix sums in
/// float64); for a positive p with threshold t = S_ip − m, the count and the sum of the negatives above t come
/// from a binary search (searchsorted), so Σ_n max(0, S_in − t) = sum − t·count. The gradient of a negative
/// n is the number of positives p with S_ip − m &lt; S_in (a binary search in the sorted positives), that of a
/// positive is minus the count of violating negatives. Time O(B·M·log M), memory O(B·M): a handful of B×M
/// tensors, never B×M×M.
/// </para>
/// </remarks>
public sealed class TripletMarginLoss : PairLoss
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
        var anchors = masks.Positives.any(1).logical_and_(masks.Negatives.any(1));
        var (hardestPositive, positiveIndex) = s.masked_fill(masks.Positives.logical_not(), double.PositiveInfinity).min(1, keepdim: true);
        var (hardestNegative, negativeIndex) = s.masked_fill(masks.Negatives.logical_not(), double.NegativeInfinity).max(1, keepdim: true);
        // Rows without a positive or a negative give −∞ here and are cleared by the anchor mask.
        var hinge = hardestNegative.sub(hardestPositive).add_(Options.Margin).clamp_min_(0).squeeze(1).masked_fill_(anchors.logical_not(), 0);
        var active = hinge.gt(0).unsqueeze(1);
        var activeFloat = active.to(s.dtype);

        var gradient = zeros_like(s).scatter_(1, negativeIndex, activeFloat).scatter_(1, positiveIndex, activeFloat.neg());
        var activePositives = zeros_like(masks.Positives).scatter_(1, positiveIndex, active);
        var activeNegatives = zeros_like(masks.Negatives).scatter_(1, negativeIndex, active);
        long nonZero = PairMath.Count(active);
        return new PairTerms(hinge.sum(), nonZero > 0 ? gradient : null, PairMath.Count(anchors), nonZero, activePositives, activeNegatives);
    }

    private PairTerms Enumerated(Tensor s, PairMasks masks, bool semiHard)
    {
        double margin = Options.Margin;
        long m = s.shape[1];
        // Negatives sorted ascending per query (−∞ for non-negatives, so they come first and never count as
        // "above" a finite threshold), with float64 prefix sums: prefix[i, j] = sum of the first j sorted values.
        var sortedNegatives = s.masked_fill(masks.Negatives.logical_not(), double.NegativeInfinity).sort(1).Values;
        // (where, not an in-place fill: in float64 .to(float64) would alias the sorted values.)
        var finiteNegatives = where(sortedNegatives.isinf(), 0.0, sortedNegatives).to(float64);
        var prefix = cat(new[] { zeros(s.shape[0], 1, dtype: float64, device: s.device), finiteNegatives.cumsum(1) }, 1);
        // Positives sorted ascending (+∞ for non-positives, so they come last).
        var sortedPositives = s.masked_fill(masks.Positives.logical_not(), double.PositiveInfinity).sort(1).Values;

        // For each pair read as (query, positive): threshold t = S − m; negatives n with S_in > t violate.
        var threshold = s.sub(margin);
        var upper = searchsorted(sortedNegatives, threshold, right: true);            // index of the first value > t
        var lower = semiHard ? searchsorted(sortedNegatives, s, right: false)          // index of the first value ≥ S_ip
                             : full_like(upper, m);
        var violating = lower.sub(upper).clamp_min_(0);                                 // negatives in (t, S_ip) or (t, ∞)
        var violatingSum = prefix.gather(1, lower).sub_(prefix.gather(1, upper));
        // Σ_n (S_in − t) over violating negatives, kept at positives only.
        var perPositive = violatingSum.sub_(threshold.to(float64).mul(violating)).masked_fill_(masks.Positives.logical_not(), 0);
        var positiveCounts = violating.masked_fill_(masks.Positives.logical_not(), 0);

        // For each pair read as (query, negative): positives p with S_ip − m < S_in (and S_ip > S_in if semi-hard).
        var belowShifted = searchsorted(sortedPositives, s.add(margin), right: false);  // #positives with S_ip < S_in + m
        var negativeCounts = semiHard
            ? belowShifted.sub_(searchsorted(sortedPositives, s, right: true))         // minus #positives with S_ip ≤ S_in
            : belowShifted;
        negativeCounts.masked_fill_(masks.Negatives.logical_not(), 0);

        long nonZero = positiveCounts.sum().item<long>();
        long considered = semiHard ? nonZero : AllTriplets(masks);
        var gradient = negativeCounts.sub(positiveCounts).to(s.dtype);
        var sum = perPositive.sum().to(s.dtype);
        return new PairTerms(sum, nonZero > 0 ? gradient : null, considered, nonZero, positiveCounts.gt(0), negativeCounts.gt(0));
    }

    private static long AllTriplets(PairMasks masks)
    {
        var perQuery = masks.Positives.to(float64).sum(1).mul_(masks.Negatives.to(float64).sum(1));
        return (long)Math.Round(perQuery.sum().item<double>());
    }
}
