using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

// The row form of the multi-similarity loss (host evaluation, one query row at a time; see RowEvaluator): the same values,
// gradients and counts as the tensor form in MultiSimilarityLoss.cs.
public sealed partial class MultiSimilarityLoss
{
    internal override bool HasRowForm => true;

    internal override bool RowUsesOnlyHardestPairs => true;

    internal override RowTerms EvaluateRow(ref QueryRow row)
    {
        double alpha = Options.Alpha, beta = Options.Beta, lambda = Options.Lambda;
        // Considered: a positive and a negative among the candidates (the pairs before a miner); active: among the
        // pairs the row holds.
        if (!float.IsFinite(row.Candidates.MinPositive) || !float.IsFinite(row.Candidates.MaxNegative))
            return default;
        float hardestPositive = row.Summary.MinPositive, hardestNegative = row.Summary.MaxNegative;
        if (!float.IsFinite(hardestPositive) || !float.IsFinite(hardestNegative))
            return new RowTerms { Considered = 1 };

        // First pass: the pairs' exponentials e^{x − shift}, stored signed in the gradient row (−e⁺ on
        // positives, +e⁻ on negatives), and their sums.
        double positiveShift = Math.Max(0, -alpha * (hardestPositive - lambda));
        double negativeShift = Math.Max(0, beta * (hardestNegative - lambda));
        var kernel = new RowKernel
        {
            PositiveScale = Vector256.Create((float)-alpha), NegativeScale = Vector256.Create((float)beta),
            PositiveOffset = Vector256.Create((float)(alpha * lambda - positiveShift)),
            NegativeOffset = Vector256.Create((float)(-beta * lambda - negativeShift)),
        };
        RowChunks.Run(ref row, ref kernel);
        // 1 + Σ e^x = e^{shift} (e^{−shift} + Σ e^{x − shift}); ∂ℓ/∂S = ±e/(e^{−shift} + Σ e^{x − shift}) per side.
        double positiveDenominator = Vector256.Sum(kernel.PositiveSum) + Math.Exp(-positiveShift);
        double negativeDenominator = Vector256.Sum(kernel.NegativeSum) + Math.Exp(-negativeShift);
        double loss = (Math.Log(positiveDenominator) + positiveShift) / alpha + (Math.Log(negativeDenominator) + negativeShift) / beta;
        var scale = new SignedScale { Positive = (float)(1 / positiveDenominator), Negative = (float)(1 / negativeDenominator) };
        scale.Apply(row.Gradient);
        return new RowTerms
        {
            Sum = loss, Considered = 1, NonZero = 1,
            ActivePositives = RowChunks.Total(kernel.KeptPositives), ActiveNegatives = RowChunks.Total(kernel.KeptNegatives),
        };
    }

    private struct RowKernel : IChunkKernel
    {
        public Vector256<float> PositiveScale, NegativeScale, PositiveOffset, NegativeOffset;
        public Vector256<double> PositiveSum, NegativeSum;
        public Vector256<int> KeptPositives, KeptNegatives;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            if ((positives | negatives) == Vector256<float>.Zero)
                return;
            // A pair is positive or negative, never both: one exponential per lane, of its side's exponent.
            var e = VectorExp.Exp(Vector256.ConditionalSelect(positives, PositiveScale * s + PositiveOffset, NegativeScale * s + NegativeOffset));
            var ePositive = positives & e;
            var eNegative = negatives & e;
            gradient = eNegative - ePositive;
            PositiveSum += RowChunks.Widen(ePositive);
            NegativeSum += RowChunks.Widen(eNegative);
            // Counted where the exponential is non-zero, as the tensor form counts.
            KeptPositives += RowChunks.Count(Vector256.GreaterThan(ePositive, Vector256<float>.Zero));
            KeptNegatives += RowChunks.Count(Vector256.GreaterThan(eNegative, Vector256<float>.Zero));
        }
    }
}
