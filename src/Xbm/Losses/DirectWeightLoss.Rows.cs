using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

// The row form of direct weight assignment (host evaluation, one query row at a time; see RowEvaluator): the same values,
// gradients and counts as the tensor form in DirectWeightLoss.cs.
public sealed partial class DirectWeightLoss
{
    internal override bool HasRowForm => RowWeight.TryCreate(Options.Positive, PairSide.Positive, out _)
        && RowWeight.TryCreate(Options.Negative, PairSide.Negative, out _);

    internal override RowTerms EvaluateRow(ref QueryRow row)
    {
        if (ContrastiveCase is { } weights)
            return ContrastiveLoss.EvaluateRow(ref row, weights);
        var kernel = new RowKernel();
        RowWeight.TryCreate(Options.Positive, PairSide.Positive, out kernel.Positive);
        RowWeight.TryCreate(Options.Negative, PairSide.Negative, out kernel.Negative);
        kernel.Positive.Prepare(ref row);
        kernel.Negative.Prepare(ref row);
        RowChunks.Run(ref row, ref kernel);
        return RowTerms.Pairs(row.Summary, Vector256.Sum(kernel.Sum), kernel.Positives, kernel.Negatives);
    }

    // G = w⁻ on negatives, −w⁺ on positives; the loss Σ_P w⁺(1 − S) + Σ_N w⁻ S.
    private struct RowKernel : IChunkKernel
    {
        public RowWeight Positive, Negative;
        public Vector256<double> Sum;
        public Vector256<int> Positives, Negatives;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var wPositive = positives & Positive.Weight(s, gradient);
            var wNegative = negatives & Negative.Weight(s, gradient);
            gradient = wNegative - wPositive;
            Sum += RowChunks.Widen(wPositive * (Vector256.Create(1f) - s) + wNegative * s);
            Positives += RowChunks.Count(~Vector256.Equals(wPositive, Vector256<float>.Zero));
            Negatives += RowChunks.Count(~Vector256.Equals(wNegative, Vector256<float>.Zero));
        }
    }
}
