using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// A ramp: w = <see cref="Slope"/> · max(0, S − threshold) for negatives and
/// <see cref="Slope"/> · max(0, threshold − S) for positives (harder pairs weigh more, linearly).
/// </summary>
public sealed record LinearWeight : IWeightCurve
{
    /// <summary>Where the ramp starts (default 0.5).</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>The slope (default 1).</summary>
    public double Slope { get; init; } = 1;

    /// <inheritdoc />
    public string Name => "linear";

    /// <inheritdoc />
    public Tensor Weights(Tensor similarities, Tensor mask, PairSide side)
    {
        // slope · (±S ∓ threshold) in one pass, then clamped and masked in place.
        double scale = side == PairSide.Negative ? Slope : -Slope;
        using var scaleScalar = scale.ToScalar();
        var ramp = PairMath.Scalar(similarities, -scale * Threshold).add(similarities, scaleScalar).clamp_min_(Scalars.Zero);
        return where(mask, ramp, PairMath.Scalar(similarities, 0));
    }
}
