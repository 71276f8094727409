using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The weight curves of <see cref="DirectWeightLoss"/> from their definitions, on detached similarities. With the
/// side's mask A (P or N) and hardness h = S on negatives, h = −S on positives:
/// <list type="bullet">
/// <item>constant: w = v on A;</item>
/// <item>step: w = v·[h &gt; h(t)] on A (negatives S &gt; t, positives S &lt; t);</item>
/// <item>linear: w = slope·max(0, h − h(t)) on A;</item>
/// <item>exponential, x = scale·(h − h(t)): w = e^{x_ik} / (1 + Σ_{k'∈A_i} e^{x_ik'}) when normalised, else e^{min(x, 80)};</item>
/// <item>top-k: w = 1 on the pairs of A_i with fewer than k harder pairs in A_i, else 0.</item>
/// </list>
/// </summary>
public static class WeightCurveReference
{
    /// <summary>The B×M weights of <paramref name="curve"/> on the pairs of <paramref name="mask"/> (0 elsewhere), without gradient.</summary>
    public static Tensor Weights(IWeightCurve curve, Tensor similarities, Tensor mask, PairSide side)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = similarities.detach();
        // Hardness relative to the curve's threshold: h − h(t) = S − t on negatives, t − S on positives.
        Tensor Above(double threshold)
        {
            using var t = threshold.ToScalar();
            return side == PairSide.Negative ? s.sub(t) : s.neg().add(t, Scalars.One);
        }
        var zero = zeros_like(s);
        Tensor weights;
        switch (curve)
        {
            case ConstantWeight constant:
            {
                using var value = constant.Value.ToScalar();
                weights = where(mask, full_like(s, value), zero);
                break;
            }
            case StepWeight step:
            {
                using var value = step.Value.ToScalar();
                weights = where(mask.logical_and(Above(step.Threshold).gt(Scalars.Zero)), full_like(s, value), zero);
                break;
            }
            case LinearWeight linear:
            {
                using var slope = linear.Slope.ToScalar();
                weights = where(mask, Above(linear.Threshold).clamp_min(Scalars.Zero).mul(slope), zero);
                break;
            }
            case ExponentialWeight exponential:
            {
                using var scale = exponential.Scale.ToScalar();
                var x = Above(exponential.Threshold).mul(scale);
                if (exponential.Normalize)
                {
                    // log(1 + Σ_A e^x) = log1p(e^{logsumexp_A x}); an empty side gives log1p(0) = 0.
                    var logDenominator = x.masked_fill(mask.logical_not(), Scalars.NegativeInfinity).logsumexp(1, keepdim: true).exp().log1p();
                    weights = where(mask, x.sub(logDenominator).exp(), zero);
                }
                else
                {
                    using var ceiling = 80.ToScalar();
                    weights = where(mask, x.clamp_max(ceiling).exp(), zero);
                }
                break;
            }
            case TopKWeight topK:
            {
                // harder[i, k, k'] = pair k' of the side is harder than pair k; keep the pairs with fewer than k harder ones.
                var hardness = side == PairSide.Negative ? s : s.neg();
                var harder = hardness.unsqueeze(1).gt(hardness.unsqueeze(2)).logical_and(mask.unsqueeze(1));
                using var k = topK.K.ToScalar();
                var kept = mask.logical_and(harder.sum(2).lt(k));
                weights = where(kept, ones_like(s), zero);
                break;
            }
            default:
                throw new ArgumentException($"no reference form for the weight curve '{curve.Name}'", nameof(curve));
        }
        return weights.MoveToOuterDisposeScope();
    }
}
