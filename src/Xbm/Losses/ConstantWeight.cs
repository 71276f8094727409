using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>w(S) = <see cref="Value"/> for every pair of the side ("all pairs count equally").</summary>
public sealed record ConstantWeight : IWeightCurve
{
    /// <summary>The weight (default 1).</summary>
    public double Value { get; init; } = 1;

    /// <inheritdoc />
    public string Name => "constant";

    /// <inheritdoc />
    public Tensor Weights(Tensor similarities, Tensor mask, PairSide side)
    {
        var weights = mask.to(similarities.dtype);
        using var value = Value.ToScalar();
        return Value == 1 ? weights : weights.mul_(value);
    }
}
