using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Masked row operations over the B×M similarity matrix shared by the losses and miners.</summary>
internal static class PairMath
{
    /// <summary>The number of true elements (one host synchronisation).</summary>
    public static long Count(Tensor mask) => mask.count_nonzero().item<long>();

    /// <summary>Row-wise minimum of <paramref name="s"/> over <paramref name="mask"/>, B×1; +∞ for empty rows.</summary>
    public static Tensor RowMin(Tensor s, Tensor mask)
    {
        using var outside = mask.logical_not();
        using var filled = s.masked_fill(outside, double.PositiveInfinity);
        return filled.amin(new long[] { 1 }, keepdim: true);
    }

    /// <summary>Row-wise maximum of <paramref name="s"/> over <paramref name="mask"/>, B×1; −∞ for empty rows.</summary>
    public static Tensor RowMax(Tensor s, Tensor mask)
    {
        using var outside = mask.logical_not();
        using var filled = s.masked_fill(outside, double.NegativeInfinity);
        return filled.amax(new long[] { 1 }, keepdim: true);
    }

    /// <summary>
    /// Per row, log(1 + Σ_k exp(x_ik)) (length B) and the weights exp(x_ik) / (1 + Σ_k exp(x_ik)) (B×M), which
    /// are the derivatives of the former. <paramref name="x"/> holds −∞ outside the pairs of interest and is
    /// overwritten. Stable: shifted by max(0, max_k x_ik).
    /// </summary>
    public static (Tensor Value, Tensor Weights) LogOnePlusSumExp(Tensor x)
    {
        var shift = x.amax(new long[] { 1 }, keepdim: true).clamp_min(0);
        var e = x.sub_(shift).exp_();
        var denominator = e.sum(1, keepdim: true).add_(shift.neg().exp_());
        var value = denominator.log().add_(shift).squeeze(1);
        return (value, e.div_(denominator));
    }

    /// <summary>
    /// Per row, log Σ_k exp(x_ik) (length B; −∞ for a row without pairs) and the softmax over the row (B×M; zero
    /// for a row without pairs). <paramref name="x"/> holds −∞ outside the pairs of interest and is overwritten.
    /// </summary>
    public static (Tensor Value, Tensor Softmax) LogSumExp(Tensor x)
    {
        var shift = x.amax(new long[] { 1 }, keepdim: true);
        using (var empty = shift.isinf())
            shift.masked_fill_(empty, 0);
        var e = x.sub_(shift).exp_();
        var total = e.sum(1, keepdim: true);
        var value = total.log().add_(shift).squeeze(1);
        // Rows without pairs have e = 0 and total = 0; the floor (representable in float32) keeps them at 0, not NaN.
        return (value, e.div_(total.clamp_min(1e-30)));
    }

    /// <summary>log(1 + exp(u)) computed without overflow.</summary>
    public static Tensor Softplus(Tensor u) => u.clamp_min(0).add_(u.abs().neg_().exp_().log1p_());
}
