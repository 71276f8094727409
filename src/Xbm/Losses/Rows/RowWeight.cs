using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

/// <summary>
/// The row form of a weight curve (<see cref="IWeightCurve"/>) for <see cref="DirectWeightLoss"/>'s host
/// evaluation: the same w(S) as the curve's tensor form, eight pairs at a time. The top-k curve has no row form.
/// </summary>
internal struct RowWeight
{
    private enum Kind { None, Constant, Step, Linear, Exponential }

    private Kind _kind;
    private bool _negative, _normalize;
    private float _value, _scale, _threshold, _offset, _denominator;

    /// <summary>The row form of <paramref name="curve"/> on <paramref name="side"/>; false for curves without one.</summary>
    public static bool TryCreate(IWeightCurve curve, PairSide side, out RowWeight weight)
    {
        bool negative = side == PairSide.Negative;
        weight = curve switch
        {
            ConstantWeight c => new RowWeight { _kind = Kind.Constant, _value = (float)c.Value },
            StepWeight s => new RowWeight { _kind = Kind.Step, _value = (float)s.Value, _threshold = (float)s.Threshold },
            LinearWeight l => new RowWeight { _kind = Kind.Linear, _scale = (float)(negative ? l.Slope : -l.Slope), _threshold = (float)l.Threshold },
            ExponentialWeight e => new RowWeight
            {
                _kind = Kind.Exponential, _scale = (float)(negative ? e.Scale : -e.Scale), _threshold = (float)e.Threshold, _normalize = e.Normalize,
            },
            _ => default,
        };
        weight._negative = negative;
        return weight._kind != Kind.None;
    }

    /// <summary>
    /// Prepares the row: the normalised exponential needs the row's shift (from its hardest pair) and the sum of its
    /// exponentials over the side's pairs (one pass), which it leaves in the side's lanes of the gradient row for
    /// <see cref="Weight"/> (the lanes of the other side are left as they are).
    /// </summary>
    public void Prepare(ref QueryRow row)
    {
        if (_kind != Kind.Exponential)
            return;
        if (!_normalize)
        {
            _offset = -_scale * _threshold;
            return;
        }
        float hardest = _negative ? row.Summary.MaxNegative : row.Summary.MinPositive;
        // Shift by max(0, the largest exponent), which the hardest pair attains: no exponent is large.
        float shift = float.IsFinite(hardest) ? Math.Max(0, (hardest - _threshold) * _scale) : 0;
        _offset = -shift - _scale * _threshold;
        var kernel = new ExponentialSum { Weight = this };
        RowChunks.Run(ref row, ref kernel);
        _denominator = (float)(Vector256.Sum(kernel.Sum) + Math.Exp(-shift));
    }

    /// <summary>
    /// w(S) for eight pairs of the side (the caller masks the lanes of other pairs); <paramref name="prepared"/> is the
    /// gradient row's lanes as <see cref="Prepare"/> left them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> Weight(Vector256<float> s, Vector256<float> prepared) => _kind switch
    {
        Kind.Constant => Vector256.Create(_value),
        Kind.Step => (_negative ? Vector256.GreaterThan(s, Vector256.Create(_threshold)) : Vector256.LessThan(s, Vector256.Create(_threshold)))
            & Vector256.Create(_value),
        Kind.Linear => Vector256.Max(Vector256<float>.Zero, Vector256.Create(_scale) * s - Vector256.Create(_scale * _threshold)),
        _ => _normalize
            ? prepared / Vector256.Create(_denominator)
            : VectorExp.Exp(Vector256.Min(Vector256.Create(_scale) * s + Vector256.Create(_offset), Vector256.Create(80f))),
    };

    private struct ExponentialSum : IChunkKernel
    {
        public RowWeight Weight;
        public Vector256<double> Sum;

        public readonly bool UsesGradient => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Chunk(int column, Vector256<float> s, Vector256<float> positives, Vector256<float> negatives, ref Vector256<float> gradient)
        {
            var side = Weight._negative ? negatives : positives;
            if (side == Vector256<float>.Zero)
                return;
            // Kept for the weights (one exponential per pair, not two).
            var e = side & VectorExp.Exp(Vector256.Create(Weight._scale) * s + Vector256.Create(Weight._offset));
            gradient = Vector256.ConditionalSelect(side, e, gradient);
            Sum += RowChunks.Widen(e);
        }
    }
}
