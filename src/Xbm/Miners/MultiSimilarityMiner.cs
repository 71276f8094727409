using TorchSharp;
using Xbm.Runtime;
using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Miners;

/// <summary>
/// The multi-similarity loss's mining (docs/design.md §2): keep negative k of query i when
/// S_ik + ε &gt; min_{p∈P_i} S_ip, keep positive p when S_ip − ε &lt; max_{n∈N_i} S_in; ε = 0.1.
/// A query without positives keeps no negative and a query without negatives keeps no positive.
/// </summary>
public sealed partial class MultiSimilarityMiner : IPairMiner, IRowMiner
{
    /// <summary>Creates the miner.</summary>
    public MultiSimilarityMiner(double epsilon = 0.1) => Epsilon = epsilon;

    /// <summary>The slack ε (default 0.1).</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public string Name => "multi_similarity";

    /// <inheritdoc />
    public Tensor Mine(Tensor similarities, PairMasks masks)
    {
        using var scope = NewDisposeScope();
        var (positives, negatives) = Select(similarities, masks, Epsilon);
        return positives.logical_or_(negatives).MoveToOuterDisposeScope();
    }

    /// <summary>The kept positives and kept negatives (B×M each).</summary>
    public static (Tensor Positives, Tensor Negatives) Select(Tensor similarities, PairMasks masks, double epsilon)
    {
        using var noGrad = no_grad();
        using var positives = masks.OnSide(similarities, PairSide.Positive);   // +∞ outside the positives
        using var negatives = masks.OnSide(similarities, PairSide.Negative);   // −∞ outside the negatives
        using var hardestPositive = positives.amin(new long[] { 1 }, keepdim: true);
        using var hardestNegative = negatives.amax(new long[] { 1 }, keepdim: true);
        // S + ε > min P  ⇔  S > min P − ε;  S − ε < max N  ⇔  S < max N + ε. ±∞ rows keep nothing.
        using var epsilonScalar = epsilon.ToScalar();
        using var negativeBound = hardestPositive.sub(epsilonScalar);
        using var positiveBound = hardestNegative.add(epsilonScalar, Scalars.One);
        return (positives.lt(positiveBound), negatives.gt(negativeBound));
    }
}
