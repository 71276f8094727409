using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Which side of the pair set a weight curve serves.</summary>
public enum PairSide
{
    /// <summary>Positive pairs: harder means lower similarity.</summary>
    Positive,

    /// <summary>Negative pairs: harder means higher similarity.</summary>
    Negative,
}

/// <summary>
/// A pair weight as a function of the (detached) similarity, for the direct weight assignment loss
/// (<see cref="DirectWeightLoss"/>). Curves are written in terms of hardness: for negatives the similarity S,
/// for positives −S, so one curve definition serves both sides.
/// </summary>
public interface IWeightCurve
{
    /// <summary>The curve name used in configs ("constant", "step", "linear", "exponential", "topk").</summary>
    string Name { get; }

    /// <summary>
    /// The B×M weights of the pairs in <paramref name="mask"/> (zero elsewhere), computed from the detached
    /// <paramref name="similarities"/>. Never negative.
    /// </summary>
    Tensor Weights(Tensor similarities, Tensor mask, PairSide side);
}
