using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

// The row form of the lifted structure loss (host evaluation, one query row at a time; see RowEvaluator): the same values,
// gradients and counts as the tensor form in LiftedStructureLoss.cs.
public sealed partial class LiftedStructureLoss
{
    internal override bool HasRowForm => true;

    internal override RowTerms EvaluateRow(ref QueryRow row)
    {
        float hardestPositive = row.Summary.MinPositive, hardestNegative = row.Summary.MaxNegative;
        if (!float.IsFinite(hardestPositive) || !float.IsFinite(hardestNegative))
            return default;
        // log Σ_P e^{−S} = −minP + log Σ_P e^{−(S − minP)};  log Σ_N e^{S} = maxN + log Σ_N e^{S − maxN}. The
        // exponentials are stored signed in the gradient row (− on positives, + on negatives).
        var kernel = new RowKernel { HardestPositive = Vector256.Create(hardestPositive), HardestNegative = Vector256.Create(hardestNegative) };
        RowChunks.Run(ref row, ref kernel);
        double positiveSum = Vector256.Sum(kernel.PositiveSum), negativeSum = Vector256.Sum(kernel.NegativeSum);
        double bracket = Math.Log(positiveSum) - hardestPositive + Math.Log(negativeSum) + hardestNegative + Options.Margin;
        if (!(bracket > 0))
        {
            row.Gradient.Clear();
            return new RowTerms { Considered = 1 };
        }
        // ∂ℓ/∂S: softmax over the negatives (+) and over the negated positives (−).
        var scale = new SignedScale { Positive = (float)(1 / Math.Max(positiveSum, 1e-30)), Negative = (float)(1 / Math.Max(negativeSum, 1e-30)) };
        scale.Apply(row.Gradient);
        return RowTerms.ActiveQuery(row.Summary, bracket);
    }

    private struct RowKernel : IChunkKernel
    {
        public Vector256<float> HardestPositive, HardestNegative;
        public Vector256<double> PositiveSum, NegativeSum;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var ePositive = positives & VectorExp.Exp(HardestPositive - s);
            var eNegative = negatives & VectorExp.Exp(s - HardestNegative);
            gradient = eNegative - ePositive;
            PositiveSum += RowChunks.Widen(ePositive);
            NegativeSum += RowChunks.Widen(eNegative);
        }
    }
}
