namespace Xbm.Data;

/// <summary>A dataset ready for zero-shot training: training images, optional validation, and test protocols.</summary>
/// <param name="Name">Dataset name, e.g. "fashion_mnist".</param>
/// <param name="Train">Training images (the sampler draws from these).</param>
/// <param name="Validation">Held-out training classes for model selection, or null.</param>
/// <param name="Test">The dataset's test protocols (classes unseen in training).</param>
public sealed record DatasetSplits(string Name, IImageSet Train, EvaluationSet? Validation, IReadOnlyList<EvaluationSet> Test)
{
    /// <summary>Class names by label (folder names, CUB's class list, Fashion-MNIST's names), or null when the layout has none.</summary>
    public IReadOnlyDictionary<long, string>? ClassNames { get; init; }

    /// <summary>A label as shown to people: "3 (dog)" when the class has a name, "3" otherwise.</summary>
    public string LabelName(long label) => LabelNames.Format(ClassNames, label);
}
