using Xbm.Configuration;

namespace Xbm.Data;

/// <summary>What the P×K sampler does with a class holding fewer than K images.</summary>
public enum SmallClassPolicy
{
    /// <summary>Pad the class to K by drawing its images again with replacement (the reference's behaviour; default).</summary>
    Pad,

    /// <summary>Leave the class out (and count it).</summary>
    Drop,

    /// <summary>Refuse: an <see cref="ArgumentException"/> names the class and its count.</summary>
    Error,
}

/// <summary>Options of <see cref="PKSampler"/>: P classes × K images per batch.</summary>
public sealed record PKSamplerOptions
{
    /// <summary>P: distinct classes per batch.</summary>
    public required int ClassesPerBatch { get; init; }

    /// <summary>K: images per class in a batch.</summary>
    public required int ImagesPerClass { get; init; }

    /// <summary>What to do with classes holding fewer than K images (default <see cref="SmallClassPolicy.Pad"/>).</summary>
    public SmallClassPolicy SmallClasses { get; init; } = SmallClassPolicy.Pad;

    /// <summary>Seed of the sampler's generator.</summary>
    public ulong Seed { get; init; }

    /// <summary>Batch size P×K.</summary>
    public int BatchSize => ClassesPerBatch * ImagesPerClass;

    /// <summary>
    /// Reads classes_per_batch (P), images_per_class (K) and small_classes (pad | drop | error, default pad)
    /// from a configuration section; the seed is passed in (usually the run's seed). Unknown keys are errors.
    /// </summary>
    public static PKSamplerOptions FromSection(ConfigSection section, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (!section.Has("classes_per_batch"))
            throw section.Error("classes_per_batch", "is required (P, the number of classes per batch)");
        if (!section.Has("images_per_class"))
            throw section.Error("images_per_class", "is required (K, the number of images per class in a batch)");
        var options = new PKSamplerOptions
        {
            ClassesPerBatch = section.Int("classes_per_batch", 0, 1),
            ImagesPerClass = section.Int("images_per_class", 0, 1),
            SmallClasses = section.Choice("small_classes", "pad", "pad", "drop", "error") switch
            {
                "drop" => SmallClassPolicy.Drop,
                "error" => SmallClassPolicy.Error,
                _ => SmallClassPolicy.Pad,
            },
            Seed = seed,
        };
        section.EnsureAllUsed();
        return options;
    }
}
