using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

// The row form of the contrastive loss (host evaluation, one query row at a time; see RowEvaluator): the same values,
// gradients and counts as the tensor form in ContrastiveLoss.cs.
public sealed partial class ContrastiveLoss
{
    internal override bool HasRowForm => true;

    internal override RowTerms EvaluateRow(ref QueryRow row)
    {
        // The tensor form compares in float32: so do the rows.
        var kernel = new RowKernel
        {
            Margin = Vector256.Create((float)Options.Margin),
            PositiveMargin = Vector256.Create(Options.PositiveMargin is double pm ? (float)pm : float.PositiveInfinity),
        };
        RowChunks.Run(ref row, ref kernel);
        return RowTerms.Pairs(row.Summary, Vector256.Sum(kernel.Sum), kernel.Positives, kernel.Negatives);
    }

    // ∂/∂S = −1 on contributing positives, +1 on hard negatives; the loss Σ (1 − S) + Σ S over them.
    private struct RowKernel : IChunkKernel
    {
        public Vector256<float> Margin, PositiveMargin;
        public Vector256<double> Sum;
        public Vector256<long> Positives, Negatives;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var pulled = positives & Vector256.LessThan(s, PositiveMargin);
            var pushed = negatives & Vector256.GreaterThan(s, Margin);
            var one = Vector256.Create(1f);
            gradient = (pushed & one) - (pulled & one);
            Sum += RowChunks.Widen((pulled & (one - s)) + (pushed & s));
            Positives += RowChunks.WidenCount(pulled);
            Negatives += RowChunks.WidenCount(pushed);
        }
    }
}
