using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

// The row form of the N-pair / InfoNCE loss (host evaluation, one query row at a time; see RowEvaluator): the same values,
// gradients and counts as the tensor form in NPairLoss.cs.
public sealed partial class NPairLoss
{
    internal override bool HasRowForm => true;

    internal override RowTerms EvaluateRow(ref QueryRow row)
    {
        long positives = row.Summary.Positives, negatives = row.Summary.Negatives;
        if (positives == 0 || negatives == 0)
            return default;
        double tau = Options.Temperature;
        double loss = Options.Denominator == NPairDenominator.All ? AllRow(ref row, tau) : NegativesRow(ref row, tau);
        return RowTerms.ActiveQuery(row.Summary, loss);
    }

    // ℓ = LSE_{a∈A}(S/τ) − mean_P S/τ;  ∂ℓ/∂S_a = softmax_a/τ − [a∈P]/(τ|P|).
    private static double AllRow(ref QueryRow row, double tau)
    {
        double shift = Math.Max(row.Summary.MaxPositive, row.Summary.MaxNegative) / tau;
        var exponentials = new ExponentialKernel
        {
            Scale = Vector256.Create((float)(1 / tau)), Offset = Vector256.Create((float)-shift), IncludePositives = true,
        };
        RowChunks.Run(ref row, ref exponentials);
        double total = Vector256.Sum(exponentials.Total);
        double positives = row.Summary.Positives;
        var softmax = new SoftmaxKernel
        {
            Factor = Vector256.Create((float)(1 / (tau * total))), PositiveTerm = Vector256.Create((float)(1 / (tau * positives))),
        };
        RowChunks.Run(ref row, ref softmax);
        return Math.Log(total) + shift - row.Summary.PositiveSum / (positives * tau);
    }

    // u_p = LSE_N(S/τ) − S_p/τ;  ℓ = mean_p softplus(u_p);  ∂/∂S_p = −σ(u_p)/(τ|P|);  ∂/∂S_n = mean_p σ(u_p) · softmax_n/τ.
    private static double NegativesRow(ref QueryRow row, double tau)
    {
        double shift = row.Summary.MaxNegative / tau;
        var exponentials = new ExponentialKernel { Scale = Vector256.Create((float)(1 / tau)), Offset = Vector256.Create((float)-shift) };
        RowChunks.Run(ref row, ref exponentials);
        double total = Vector256.Sum(exponentials.Total);
        double lse = Math.Log(total) + shift;
        // The positives (about 1 % of a memory row) one by one, from the summary's list.
        int positiveCount = row.PositiveColumns.Length;
        var sigmas = row.Scratch.Floats(positiveCount);
        double loss = 0, pull = 0;
        for (int p = 0; p < positiveCount; p++)
        {
            double u = lse - row.PositiveSimilarities[p] / tau;
            loss += u > 20 ? u : Math.Log(1 + Math.Exp(u)); // softplus, with torch's threshold of 20
            sigmas[p] = (float)(1 / (1 + Math.Exp(-u)));
            pull += sigmas[p];
        }
        pull /= positiveCount;
        new SignedScale { Negative = (float)(pull / (tau * total)) }.Apply(row.Gradient);
        for (int p = 0; p < positiveCount; p++)
            row.Gradient[row.PositiveColumns[p]] = (float)(-sigmas[p] / (tau * positiveCount));
        return loss / positiveCount;
    }

    // e^{S/τ − shift} on the negatives (and the positives when asked), into the gradient row, and their sum.
    private struct ExponentialKernel : IChunkKernel
    {
        public Vector256<float> Scale, Offset;
        public bool IncludePositives;
        public Vector256<double> Total;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var pairs = IncludePositives ? positives | negatives : negatives;
            gradient = pairs & VectorExp.Exp(Scale * s + Offset);
            Total += RowChunks.Widen(gradient);
        }
    }

    // The stored exponentials become softmax/τ, minus 1/(τ|P|) on the positives.
    private struct SoftmaxKernel : IChunkKernel
    {
        public Vector256<float> Factor, PositiveTerm;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient) =>
            gradient = gradient * Factor - (positives & PositiveTerm);
    }
}
