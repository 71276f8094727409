using TorchSharp;
using Xbm.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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

    // Batch-hard keeps its tensor form: its gradient is sparse (two keys per query) and it is already below the
    // two-product floor.
    internal override bool HasRowForm => Options.Strategy != TripletStrategy.BatchHard;

    // The enumerated strategies on one row, with the same ranking as the tensor form: the positives sorted once, each
    // negative's range [lower, upper) of violating positive ranks found with SortedRanks, and histograms of the range
    // ends, from which both the loss (with prefix sums of the sorted positives) and the positives' derivatives follow.
    internal override unsafe RowTerms EvaluateRow(ref PairRow row)
    {
        int positiveCount = (int)row.Summary.Positives;
        long negativeCount = row.Summary.Negatives;
        if (positiveCount == 0 || negativeCount == 0)
            return default;
        bool semiHard = Options.Strategy == TripletStrategy.SemiHard;
        // The positives as the summary listed them, sorted by similarity (with their columns).
        var sorted = row.PositiveSimilarities;
        var columns = row.PositiveColumns;
        sorted.Sort(columns);
        // One int buffer: the histograms of the range starts and ends (P + 1 ranks and a spare slot each), then the
        // rank table.
        var ints = row.Scratch.Ints(SortedRanks.TableLength(positiveCount) + 2 * (positiveCount + 2));
        var starts = ints.Slice(0, positiveCount + 2);
        var ends = ints.Slice(positiveCount + 2, positiveCount + 2);
        var table = ints[(2 * positiveCount + 4)..];
        starts.Clear();
        ends.Clear();

        float margin = (float)Options.Margin;
        var kernel = new RowKernel { SemiHard = semiHard, Margin = Vector256.Create(margin), Spare = positiveCount + 1 };
        fixed (float* sortedPointer = sorted)
        fixed (int* tablePointer = table)
        fixed (int* startPointer = starts)
        fixed (int* endPointer = ends)
        {
            kernel.Ranks = new SortedRanks(sortedPointer, positiveCount, tablePointer);
            kernel.Starts = startPointer;
            kernel.Ends = endPointer;
            // A negative forms no triplet when S_in + m ≤ the lowest positive (all), or also S_in ≥ the highest (semi-hard).
            kernel.Lowest = Vector256.Create(sorted[0] - margin);
            kernel.Highest = Vector256.Create(semiHard ? sorted[positiveCount - 1] : float.PositiveInfinity);
            RowChunks.Run(ref row, ref kernel);
        }
        long activeNegatives = -Vector256.Sum(kernel.ActiveNegatives);
        if (!semiHard)
            starts[0] += (int)activeNegatives; // every range of the all strategy starts at rank 0

        // Σ_n Σ_{p in range} (S_in + m − S_ip) = Σ_n count·(S_in + m) − Σ_n (prefix[upper] − prefix[lower]), and the
        // second sum is Σ_r prefix[r]·(ends[r] − starts[r]). A positive of rank r lies in the ranges of
        // Σ_{r' ≤ r} (starts[r'] − ends[r']) negatives, and its derivative is minus that.
        double loss = Vector256.Sum(kernel.Loss), prefix = 0;
        long activePositives = 0;
        int inRange = 0;
        for (int r = 0; r <= positiveCount; r++)
        {
            loss -= prefix * (ends[r] - starts[r]);
            if (r == positiveCount)
                break;
            prefix += sorted[r];
            inRange += starts[r] - ends[r];
            if (inRange != 0)
            {
                row.Gradient[columns[r]] = -inRange;
                activePositives++;
            }
        }
        long violating = Vector256.Sum(kernel.Violating);
        return new RowTerms
        {
            Sum = loss, Considered = semiHard ? violating : positiveCount * negativeCount, NonZero = violating,
            ActivePositives = activePositives, ActiveNegatives = activeNegatives,
        };
    }

    private unsafe struct RowKernel : IChunkKernel
    {
        public bool SemiHard;
        public SortedRanks Ranks;
        public int* Starts, Ends;
        public Vector256<float> Margin, Lowest, Highest;
        public Vector256<double> Loss;
        public Vector256<long> Violating, ActiveNegatives;
        public int Spare;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var candidates = (negatives & Vector256.GreaterThan(s, Lowest) & Vector256.LessThan(s, Highest)).AsInt32();
            if (candidates == Vector256<int>.Zero)
                return;
            // Violating triplets (i, p, n): S_ip < S_in + m (all), and S_ip > S_in too (semi-hard): ranks [lower, upper).
            var shifted = s + Margin;
            var lower = SemiHard ? Ranks.CountAtMost(s) & candidates : Vector256<int>.Zero;
            var count = Vector256.Max(Ranks.CountBelow(shifted) - lower, Vector256<int>.Zero) & candidates;
            gradient = Vector256.ConvertToSingle(count);
            var countFloat = gradient;
            Loss += Vector256.WidenLower(countFloat) * Vector256.WidenLower(shifted) + Vector256.WidenUpper(countFloat) * Vector256.WidenUpper(shifted);
            Violating += Vector256.WidenLower(count) + Vector256.WidenUpper(count);
            var active = Vector256.GreaterThan(count, Vector256<int>.Zero);
            ActiveNegatives += Vector256.WidenLower(active) + Vector256.WidenUpper(active);
            // The range ends go into the histograms, those of inactive lanes into a spare last slot; eight increments
            // without branches cost less than a loop over the active lanes (the all strategy's starts are all 0).
            var spare = Vector256.Create(Spare);
            var ends = Vector256.ConditionalSelect(active, lower + count, spare);
            Ends[ends.GetElement(0)]++; Ends[ends.GetElement(1)]++; Ends[ends.GetElement(2)]++; Ends[ends.GetElement(3)]++;
            Ends[ends.GetElement(4)]++; Ends[ends.GetElement(5)]++; Ends[ends.GetElement(6)]++; Ends[ends.GetElement(7)]++;
            if (SemiHard)
            {
                var starts = Vector256.ConditionalSelect(active, lower, spare);
                Starts[starts.GetElement(0)]++; Starts[starts.GetElement(1)]++; Starts[starts.GetElement(2)]++; Starts[starts.GetElement(3)]++;
                Starts[starts.GetElement(4)]++; Starts[starts.GetElement(5)]++; Starts[starts.GetElement(6)]++; Starts[starts.GetElement(7)]++;
            }
        }
    }
}
