using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// Masked row operations over the B×M similarity matrix shared by the losses and miners. Each helper makes as
/// few passes over B×M as it can: on the 2-core reference machine one pass costs a few percent of the B×d×M
/// product, and the budget for a whole loss step is half a product (docs/design.md §7).
/// </summary>
internal static class PairMath
{
    /// <summary>The number of non-zero elements (one host synchronisation).</summary>
    public static long Count(Tensor mask) => mask.count_nonzero().item<long>();

    /// <summary>A 0-d tensor holding <paramref name="value"/> in the dtype and device of <paramref name="like"/>.</summary>
    public static Tensor Scalar(Tensor like, double value)
    {
        using var scalar = value.ToScalar();
        return full(Array.Empty<long>(), scalar, dtype: like.dtype, device: like.device);
    }

    /// <summary>Row-wise minimum of <paramref name="s"/> over <paramref name="mask"/>, B×1; +∞ for empty rows.</summary>
    public static Tensor RowMin(Tensor s, Tensor mask)
    {
        using var filled = where(mask, s, Scalar(s, double.PositiveInfinity));
        return filled.amin(new long[] { 1 }, keepdim: true);
    }

    /// <summary>Row-wise maximum of <paramref name="s"/> over <paramref name="mask"/>, B×1; −∞ for empty rows.</summary>
    public static Tensor RowMax(Tensor s, Tensor mask)
    {
        using var filled = where(mask, s, Scalar(s, double.NegativeInfinity));
        return filled.amax(new long[] { 1 }, keepdim: true);
    }

    /// <summary>
    /// E_ik = exp(<paramref name="scale"/>·S_ik + <paramref name="offset"/>_i) on <paramref name="mask"/>, 0 elsewhere
    /// (B×M), and its row sums (B×1). The caller picks the per-row offset so that no exponent is large.
    /// </summary>
    public static (Tensor Exp, Tensor RowSum) MaskedExp(Tensor s, Tensor mask, double scale, Tensor offset)
    {
        using var factor = scale.ToScalar();
        using var exponent = offset.add(s, factor);
        var e = where(mask, exponent.exp_(), Scalar(s, 0));
        return (e, e.sum(1, keepdim: true));
    }

    /// <summary>
    /// E_ik = exp(<paramref name="scale"/>·X_ik + <paramref name="offset"/>_i) and its row sums, for X from
    /// <see cref="PairMasks.OnSide"/> or <see cref="PairMasks.Valid"/> (±∞ outside the pairs, so E is 0 there).
    /// </summary>
    public static (Tensor Exp, Tensor RowSum) FilledExp(Tensor filled, double scale, Tensor offset)
    {
        using var factor = scale.ToScalar();
        var e = offset.add(filled, factor).exp_();
        return (e, e.sum(1, keepdim: true));
    }

    /// <summary>x where x is finite, 0 elsewhere (for ±∞ row statistics of empty rows).</summary>
    public static Tensor FiniteOrZero(Tensor x) => where(x.isfinite(), x, Scalar(x, 0));
}
