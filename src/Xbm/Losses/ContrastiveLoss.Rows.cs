using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

// The row form of the contrastive loss (host evaluation, one query row at a time; see RowEvaluator): the same values,
// gradients and counts as the tensor form in ContrastiveLoss.cs.
public sealed partial class ContrastiveLoss
{
    internal override bool HasRowForm => true;

    internal override RowTerms EvaluateRow(ref QueryRow row) => EvaluateRow(ref row, Weights);

    /// <summary>The row form of <see cref="Evaluate(TorchSharp.torch.Tensor, PairMasks, ContrastiveWeights)"/>.</summary>
    internal static RowTerms EvaluateRow(ref QueryRow row, ContrastiveWeights weights)
    {
        // The tensor form compares in float32: so do the rows. A side whose weight is 0 has no contributing pair.
        var kernel = new RowKernel
        {
            Margin = Vector256.Create(weights.Negative == 0 ? float.PositiveInfinity : (float)weights.Margin),
            PositiveMargin = Vector256.Create(weights.Positive == 0 ? float.NegativeInfinity
                : weights.PositiveMargin is double pm ? (float)pm : float.PositiveInfinity),
            PositiveWeight = Vector256.Create((float)weights.Positive),
            NegativeWeight = Vector256.Create((float)weights.Negative),
        };
        RowChunks.Run(ref row, ref kernel);
        return RowTerms.Pairs(row.Summary, Vector256.Sum(kernel.Sum), kernel.Positives, kernel.Negatives);
    }

    // ∂/∂S = −w⁺ on contributing positives, +w⁻ on hard negatives; the loss Σ w⁺(1 − S) + Σ w⁻ S over them.
    private struct RowKernel : IChunkKernel
    {
        public Vector256<float> Margin, PositiveMargin, PositiveWeight, NegativeWeight;
        public Vector256<double> Sum;
        public Vector256<long> Positives, Negatives;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var pulled = positives & Vector256.LessThan(s, PositiveMargin);
            var pushed = negatives & Vector256.GreaterThan(s, Margin);
            gradient = (pushed & NegativeWeight) - (pulled & PositiveWeight);
            Sum += RowChunks.Widen((pulled & (PositiveWeight * (Vector256.Create(1f) - s))) + (pushed & (NegativeWeight * s)));
            Positives += RowChunks.WidenCount(pulled);
            Negatives += RowChunks.WidenCount(pushed);
        }
    }
}
