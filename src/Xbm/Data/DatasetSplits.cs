namespace Xbm.Data;

/// <summary>A dataset ready for zero-shot training: training images, optional validation, and test protocols.</summary>
/// <param name="Name">Dataset name, e.g. "fashion_mnist".</param>
/// <param name="Train">Training images (the sampler draws from these).</param>
/// <param name="Validation">Held-out training classes for model selection, or null.</param>
/// <param name="Test">The dataset's test protocols (classes unseen in training).</param>
public sealed record DatasetSplits(string Name, IImageSet Train, EvaluationSet? Validation, IReadOnlyList<EvaluationSet> Test);
