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
}
