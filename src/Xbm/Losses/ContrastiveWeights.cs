namespace Xbm.Losses;

/// <summary>
/// The constant pair weights of the contrastive loss's kernels: positives below <paramref name="PositiveMargin"/>
/// (all when null) get w⁺ = <paramref name="Positive"/>, negatives above <paramref name="Margin"/> get
/// w⁻ = <paramref name="Negative"/>. The contrastive loss is (1, its positive margin, 1, its margin); direct weight
/// assignment with a constant w⁺ and a step w⁻ is (w⁺, null, the step's value, the step's threshold).
/// </summary>
internal readonly record struct ContrastiveWeights(double Positive, double? PositiveMargin, double Negative, double Margin);
