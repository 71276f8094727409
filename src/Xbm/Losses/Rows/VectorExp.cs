using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Losses;

/// <summary>
/// e^x for eight float32 lanes at once, for the host row forms of the losses (about 6 times faster than
/// <see cref="MathF.Exp"/> per lane here; .NET's own <c>Vector256.Exp</c> measured slower than the scalar call).
/// </summary>
/// <remarks>
/// The Cephes single-precision method: x = n·ln 2 + r with n = round(x/ln 2) and ln 2 split in two constants so r is
/// exact, e^r from a degree-6 polynomial on |r| ≤ ln 2 / 2, and 2^n put into the exponent bits (as two factors). Relative error within
/// 2·10⁻⁷ of the true value (tested against <see cref="Math.Exp(double)"/>). Below −87.3 (where e^x leaves the normal
/// float range) the result is 0, so −∞ gives exactly 0; above 88.7 it is +∞; NaN stays NaN.
/// </remarks>
internal static class VectorExp
{
    private const float Log2E = 1.44269504088896341f, Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float Lowest = -87.3f, Highest = 88.7f;

    /// <summary>e^x per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(Lowest)), Vector256.Create(Highest));
        var n = Vector256.Floor(clamped * Vector256.Create(Log2E) + Vector256.Create(0.5f));
        var r = clamped - n * Vector256.Create(Ln2High) - n * Vector256.Create(Ln2Low);
        var r2 = r * r;
        var p = Vector256.Create(1.9875691500e-4f);
        p = p * r + Vector256.Create(1.3981999507e-3f);
        p = p * r + Vector256.Create(8.3334519073e-3f);
        p = p * r + Vector256.Create(4.1665795894e-2f);
        p = p * r + Vector256.Create(1.6666665459e-1f);
        p = p * r + Vector256.Create(5.0000001201e-1f);
        p = p * r2 + r + Vector256.Create(1f);
        // 2^n as two powers of two (n up to 128 would overflow one float exponent).
        var exponent = Vector256.ConvertToInt32(n);
        var half = Vector256.ShiftRightArithmetic(exponent, 1);
        var result = p * Power(half) * Power(exponent - half);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(Lowest)), Vector256<float>.Zero, result);
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(Highest)), Vector256.Create(float.PositiveInfinity), result);
        // NaN compares false everywhere above; give it back.
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    // 2^e for −126 ≤ e ≤ 127, built in the exponent bits.
    private static Vector256<float> Power(Vector256<int> e) => Vector256.ShiftLeft(e + Vector256.Create(127), 23).AsSingle();
}
