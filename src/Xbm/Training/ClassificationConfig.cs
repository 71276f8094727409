using Xbm.Configuration;

namespace Xbm.Training;

/// <summary>
/// The owner of the top-level <c>task</c> key (retrieval, the default, or classification) and of the
/// <c>classification</c> section: <c>cross_entropy_weight</c> (default 1), <c>batch_loss_weight</c> (the weight of
/// the batch pair loss, default 1; 0 switches it off), <c>classifier</c> (linear, the default, or cosine) and
/// <c>scale</c> (the cosine classifier's s, default 16; <see cref="Models.ClassifierHead"/>). The classification total is
/// cross_entropy_weight · CE + batch_loss_weight · L_b + memory.weight · L_m (docs/design.md §1).
/// </summary>
public sealed class ClassificationConfig
{
    private ClassificationConfig(bool enabled, double crossEntropyWeight, double batchLossWeight, double classifierScale = 0)
    {
        ClassifierScale = classifierScale;
        Enabled = enabled;
        CrossEntropyWeight = crossEntropyWeight;
        BatchLossWeight = batchLossWeight;
    }

    /// <summary>task: classification.</summary>
    public bool Enabled { get; }

    /// <summary>Weight of the cross-entropy on the classifier's logits.</summary>
    public double CrossEntropyWeight { get; }

    /// <summary>Weight of the batch pair loss (0 = off).</summary>
    public double BatchLossWeight { get; }

    /// <summary>The cosine classifier's scale s, or 0 for the linear classifier.</summary>
    public double ClassifierScale { get; }

    /// <summary>Reads "task" and the "classification" section of <paramref name="root"/>; the section without task: classification is an error.</summary>
    public static ClassificationConfig Read(ConfigSection root)
    {
        ArgumentNullException.ThrowIfNull(root);
        bool enabled = root.Choice("task", "retrieval", "retrieval", "classification") == "classification";
        if (!enabled)
        {
            if (root.Has("classification"))
                throw root.Error("classification", "applies to task: classification only");
            return new ClassificationConfig(false, 0, 1);
        }
        var section = root.Section("classification");
        bool cosine = section.Choice("classifier", "linear", "linear", "cosine") == "cosine";
        if (!cosine && section.Has("scale"))
            throw section.Error("scale", "applies to classifier: cosine only");
        var config = new ClassificationConfig(true,
            section.Double("cross_entropy_weight", 1, min: 0),
            section.Double("batch_loss_weight", 1, min: 0),
            cosine ? section.Double("scale", 16, min: 1e-3, max: 1e4) : 0);
        section.EnsureAllUsed();
        return config;
    }
}
