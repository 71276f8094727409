using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace Xbm.Losses;

// The row form of the triplet margin loss (host evaluation, one query row at a time; see RowEvaluator): the same values,
// gradients and counts as the tensor form in TripletMarginLoss.cs.
public sealed partial class TripletMarginLoss
{
    internal override bool HasRowForm => true;

    // The enumerated strategies on one row, with the same ranking as the tensor form: the positives sorted once, each
    // negative's range [lower, upper) of violating positive ranks found with SortedRanks, and histograms of the range
    // ends, from which both the loss (with prefix sums of the sorted positives) and the positives' derivatives follow.
    internal override unsafe RowTerms EvaluateRow(ref QueryRow row)
    {
        if (Options.Strategy == TripletStrategy.BatchHard)
            return BatchHardRow(ref row);
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

    // Batch-hard on one row: the hardest positive (lowest S, first column on ties, from the summary's list) and the
    // hardest negative (highest S, first column on ties), as the tensor form's min and max pick them. Two non-zero
    // derivatives, so the gradient product is taken sparse (SparseRowProduct).
    private RowTerms BatchHardRow(ref QueryRow row)
    {
        if (row.Summary.Positives == 0 || row.Summary.Negatives == 0)
            return default;
        float hardestPositive = row.Summary.MinPositive, hardestNegative = row.Summary.MaxNegative;
        float hinge = Math.Max(0f, hardestNegative - hardestPositive + (float)Options.Margin);
        if (hinge == 0)
            return new RowTerms { Considered = 1 };
        int positiveColumn = row.PositiveColumns[row.PositiveSimilarities.IndexOf(hardestPositive)];
        int negativeColumn = -1;
        for (int k = 0; k < row.Similarities.Length && negativeColumn < 0; k++)
            if (row.Similarities[k] == hardestNegative && row.Labels[k] != row.QueryLabel && row.Labels[k] != QueryRow.Ignored)
                negativeColumn = k;
        row.Gradient[negativeColumn] += 1;
        row.Gradient[positiveColumn] -= 1;
        return new RowTerms { Sum = hinge, Considered = 1, NonZero = 1, ActivePositives = 1, ActiveNegatives = 1 };
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
