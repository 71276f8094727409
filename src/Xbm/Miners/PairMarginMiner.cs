using TorchSharp;
using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>
/// Selects the positives with S &lt; <see cref="PositiveMargin"/> (not yet close enough) and the negatives with
/// S &gt; <see cref="NegativeMargin"/> (too close).
/// </summary>
public sealed partial class PairMarginMiner : IPairMiner, IRowMiner
{
    /// <summary>Creates the miner.</summary>
    public PairMarginMiner(double positiveMargin = 0.8, double negativeMargin = 0.5)
    {
        PositiveMargin = positiveMargin;
        NegativeMargin = negativeMargin;
    }

    /// <summary>Positives with similarity below this are selected (default 0.8).</summary>
    public double PositiveMargin { get; }

    /// <summary>Negatives with similarity above this are selected (default 0.5).</summary>
    public double NegativeMargin { get; }

    /// <inheritdoc />
    public string Name => "pair_margin";

    /// <inheritdoc />
    public Tensor Mine(Tensor similarities, PairMasks masks)
    {
        using var noGrad = no_grad();
        using var positiveMargin = PositiveMargin.ToScalar();
        using var negativeMargin = NegativeMargin.ToScalar();
        using var hardPositives = similarities.lt(positiveMargin).logical_and_(masks.Positives);
        return similarities.gt(negativeMargin).logical_and_(masks.Negatives).logical_or_(hardPositives);
    }
}
