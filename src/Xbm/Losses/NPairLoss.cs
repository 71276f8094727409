using TorchSharp;
using Xbm.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>What the denominator of <see cref="NPairLoss"/> holds.</summary>
public enum NPairDenominator
{
    /// <summary>Each positive against the negatives only (N-pair, Sohn 2016, averaged over the positives).</summary>
    Negatives,

    /// <summary>Each positive against all valid keys, positives included (InfoNCE / SupCon "L_out", Khosla et al. 2020).</summary>
    All,
}

/// <summary>Options of <see cref="NPairLoss"/>.</summary>
public sealed record NPairLossOptions
{
    /// <summary>The temperature τ (default 0.1).</summary>
    public double Temperature { get; init; } = 0.1;

    /// <summary>What the softmax denominator holds (default negatives only).</summary>
    public NPairDenominator Denominator { get; init; } = NPairDenominator.Negatives;

    /// <summary>How per-query values become the loss (default the sum over queries / B).</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// Supervised N-pair / InfoNCE loss with temperature τ, handling several positives per query by averaging over
/// them. For a query i with positives P_i and negatives N_i (both non-empty; otherwise ℓ_i = 0):
/// <list type="bullet">
/// <item><c>negatives</c> (N-pair): ℓ_i = (1/|P_i|) Σ_{p∈P_i} log(1 + Σ_{n∈N_i} e^{(S_in − S_ip)/τ}).</item>
/// <item><c>all</c> (InfoNCE/SupCon): ℓ_i = (1/|P_i|) Σ_{p∈P_i} −log( e^{S_ip/τ} / Σ_{a∈P_i∪N_i} e^{S_ia/τ} ).</item>
/// </list>
/// </summary>
/// <remarks>
/// Loss elements are queries. Default reduction <c>sum_per_query</c> (Σ_i ℓ_i / B). The memory loss grows like
/// the logarithm of the number of keys (the softmax denominator), not linearly.
/// </remarks>
public sealed class NPairLoss : PairLoss
{
    /// <summary>Creates the loss; <paramref name="name"/> is the registry name it answers to.</summary>
    public NPairLoss(NPairLossOptions? options = null, string name = "npair") : base((options ?? new NPairLossOptions()).Reduction)
    {
        Options = options ?? new NPairLossOptions();
        Name = name;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The options in force.</summary>
    public NPairLossOptions Options { get; }

    /// <inheritdoc />
    protected override PairTerms Evaluate(Tensor similarities, PairMasks masks)
    {
        var s = similarities;
        double tau = Options.Temperature;
        using var tauScalar = tau.ToScalar();
        using var floor = 1e-30.ToScalar();
        var positiveCounts = masks.PositivesPerQuery.unsqueeze(1);
        var anchors = positiveCounts.gt(Scalars.Zero).logical_and_(masks.NegativesPerQuery.unsqueeze(1).gt(Scalars.Zero));
        long anchorCount = PairMath.Count(anchors);
        if (anchorCount == 0)
            return new PairTerms(PairMath.Scalar(s, 0), null, 0, 0, 0, 0);
        // 1/|P_i| on anchors, 0 elsewhere: every per-row factor below is multiplied by it.
        var anchorWeight = anchors.to(s.dtype).div_(positiveCounts.clamp_min(Scalars.One).to(s.dtype));

        Tensor perQuery, gradient, rowScale;
        if (Options.Denominator == NPairDenominator.All)
        {
            // ℓ_i = LSE_{a∈A_i}(S/τ) − mean_{p∈P_i} S_ip/τ;  ∂ℓ_i/∂S_ia = softmax_a/τ − [a∈P_i]/(τ|P_i|).
            var valid = masks.Valid(s);
            var shift = PairMath.FiniteOrZero(valid.amax(new long[] { 1 }, keepdim: true)).div_(tauScalar);
            var (e, total) = PairMath.FilledExp(valid, 1 / tau, shift.neg());
            var lse = total.log().add_(shift, Scalars.One);
            var positiveSum = where(masks.Positives, s, PairMath.Scalar(s, 0)).sum(1, keepdim: true);
            perQuery = PairMath.FiniteOrZero(lse).mul_(anchors).sub_(positiveSum.mul_(anchorWeight).div_(tauScalar)).squeeze(1);
            // (anchor/(τΣ)) ⊙ (e − Σ·[a∈P]/|P|): the row factor is applied after the product.
            var totalFloor = total.clamp_min(floor);
            gradient = e.addcmul_(masks.Positives.to(s.dtype), totalFloor.mul(anchorWeight), Scalars.MinusOne);
            rowScale = anchors.to(s.dtype).div_(totalFloor.mul(tauScalar));
        }
        else
        {
            // u_ip = LSE_{n∈N_i}(S/τ) − S_ip/τ;  ℓ_i = mean_p softplus(u_ip);
            // ∂/∂S_ip = −σ(u_ip)/(τ|P_i|);  ∂/∂S_in = (Σ_p σ(u_ip)/|P_i|) · softmax_n/τ.
            var negativeSimilarities = masks.OnSide(s, PairSide.Negative);
            var shift = PairMath.FiniteOrZero(negativeSimilarities.amax(new long[] { 1 }, keepdim: true)).div_(tauScalar);
            var (e, total) = PairMath.FilledExp(negativeSimilarities, 1 / tau, shift.neg());
            var lse = PairMath.FiniteOrZero(total.log().add_(shift, Scalars.One));
            using var minusInverseTau = (-1 / tau).ToScalar();
            var u = lse.add(s, minusInverseTau);
            var zero = PairMath.Scalar(s, 0);
            perQuery = where(masks.Positives, Softplus(u), zero).sum(1, keepdim: true).mul_(anchorWeight).squeeze(1);
            var sigma = where(masks.Positives, u.sigmoid_(), zero);
            var pull = sigma.sum(1, keepdim: true).mul_(anchorWeight);
            // (pull/(τΣ)) ⊙ (e − (Σ/(|P| pull)) σ): the row factor is applied after the product (pull > 0 on anchors).
            var totalFloor = total.clamp_min(floor);
            var pullFloor = pull.clamp_min(floor);
            gradient = e.addcmul_(sigma, totalFloor.mul(anchorWeight).div_(pullFloor), Scalars.MinusOne);
            rowScale = pull.div(totalFloor.mul(tauScalar));
        }
        var anchorRows = anchors.squeeze(1);
        long positives = masks.PositivesPerQuery.masked_select(anchorRows).sum().item<long>();
        long negatives = masks.NegativesPerQuery.masked_select(anchorRows).sum().item<long>();
        return new PairTerms(perQuery.sum(), gradient, anchorCount, anchorCount, positives, negatives, rowScale);
    }

    internal override bool HasRowForm => true;

    internal override RowTerms EvaluateRow(ref PairRow row)
    {
        long positives = row.Summary.Positives, negatives = row.Summary.Negatives;
        if (positives == 0 || negatives == 0)
            return default;
        double tau = Options.Temperature;
        double loss = Options.Denominator == NPairDenominator.All ? AllRow(ref row, tau) : NegativesRow(ref row, tau);
        return new RowTerms { Sum = loss, Considered = 1, NonZero = 1, ActivePositives = positives, ActiveNegatives = negatives };
    }

    // ℓ = LSE_{a∈A}(S/τ) − mean_P S/τ;  ∂ℓ/∂S_a = softmax_a/τ − [a∈P]/(τ|P|).
    private static double AllRow(ref PairRow row, double tau)
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
    private static double NegativesRow(ref PairRow row, double tau)
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

    /// <summary>
    /// softplus(x) = log(1 + eˣ), x itself above 20 (PyTorch's threshold). TorchSharp's softplus passes its beta and
    /// threshold as temporary Scalars (see <see cref="Scalars"/>), so it is written with plain ops here.
    /// </summary>
    private static Tensor Softplus(Tensor x)
    {
        using var threshold = 20.ToScalar();
        using var large = x.gt(threshold);
        using var small = x.exp().log1p_();
        return where(large, x, small);
    }
}
