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
        // Unit weights (the contrastive loss) skip the products by the weights: x·1 = x exactly, so both kernels agree.
        return weights is { Positive: 1, Negative: 1 }
            ? EvaluateRow(ref row, weights, new UnitWeights())
            : EvaluateRow(ref row, weights, new ConstantWeights
            {
                PositiveWeight = Vector256.Create((float)weights.Positive), NegativeWeight = Vector256.Create((float)weights.Negative),
            });
    }

    private static RowTerms EvaluateRow<TWeights>(ref QueryRow row, ContrastiveWeights weights, TWeights pairWeights) where TWeights : struct, IRowPairWeights
    {
        // The tensor form compares in float32: so do the rows. A side whose weight is 0 has no contributing pair.
        var kernel = new RowKernel<TWeights>
        {
            Margin = Vector256.Create(weights.Negative == 0 ? float.PositiveInfinity : (float)weights.Margin),
            PositiveMargin = Vector256.Create(weights.Positive == 0 ? float.NegativeInfinity
                : weights.PositiveMargin is double pm ? (float)pm : float.PositiveInfinity),
            Weights = pairWeights,
        };
        RowChunks.Run(ref row, ref kernel);
        return RowTerms.Pairs(row.Summary, Vector256.Sum(kernel.Sum), kernel.Positives, kernel.Negatives);
    }

    // ∂/∂S = −w⁺ on contributing positives, +w⁻ on hard negatives; the loss Σ w⁺(1 − S) + Σ w⁻ S over them.
    private struct RowKernel<TWeights> : IChunkKernel where TWeights : struct, IRowPairWeights
    {
        public Vector256<float> Margin, PositiveMargin;
        public TWeights Weights;
        public Vector256<double> Sum;
        public Vector256<int> Positives, Negatives;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var pulled = positives & Vector256.LessThan(s, PositiveMargin);
            var pushed = negatives & Vector256.GreaterThan(s, Margin);
            var one = Vector256.Create(1f);
            gradient = (pushed & Weights.Negative(one)) - (pulled & Weights.Positive(one));
            Sum += RowChunks.Widen((pulled & Weights.Positive(one - s)) + (pushed & Weights.Negative(s)));
            Positives += RowChunks.Count(pulled);
            Negatives += RowChunks.Count(pushed);
        }
    }

    // w⁺·x and w⁻·x, eight lanes at a time.
    private interface IRowPairWeights
    {
        Vector256<float> Positive(Vector256<float> x);

        Vector256<float> Negative(Vector256<float> x);
    }

    private struct UnitWeights : IRowPairWeights
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Positive(Vector256<float> x) => x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Negative(Vector256<float> x) => x;
    }

    private struct ConstantWeights : IRowPairWeights
    {
        public Vector256<float> PositiveWeight, NegativeWeight;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Positive(Vector256<float> x) => PositiveWeight * x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Negative(Vector256<float> x) => NegativeWeight * x;
    }
}
