using Xbm.Configuration;

namespace Xbm.Data;

/// <summary>
/// The owner of a config's <c>sampler</c> section: <c>classes_per_batch</c> (P, default 8), <c>images_per_class</c>
/// (K, default 4), <c>small_classes</c> (pad | drop | error, default pad) and <c>prefetch</c> (training batches
/// loaded ahead on a background thread, default 2; 0 = load on the training thread). <see cref="Read"/> reads the
/// keys (an unknown key is an error naming the file and key); <see cref="Create"/> builds the P×K sampler over the
/// training labels.
/// </summary>
public sealed class SamplerConfig
{
    private readonly ConfigSection _section;

    private SamplerConfig(ConfigSection section, PKSamplerOptions options, int prefetch)
    {
        _section = section;
        Options = options;
        Prefetch = prefetch;
    }

    /// <summary>The sampler's options (P, K, small-class policy, seed).</summary>
    public PKSamplerOptions Options { get; }

    /// <summary>Training batches loaded ahead (batches are identical either way).</summary>
    public int Prefetch { get; }

    /// <summary>Reads <paramref name="sampler"/>; the sampler's generator is seeded with <paramref name="seed"/> (the run's seed).</summary>
    public static SamplerConfig Read(ConfigSection sampler, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        var options = new PKSamplerOptions
        {
            ClassesPerBatch = sampler.Int("classes_per_batch", 8, min: 1),
            ImagesPerClass = sampler.Int("images_per_class", 4, min: 1),
            SmallClasses = Enum.Parse<SmallClassPolicy>(sampler.Choice("small_classes", "pad", "pad", "drop", "error"), ignoreCase: true),
            Seed = seed,
        };
        int prefetch = sampler.Int("prefetch", 2, min: 0, max: 64);
        sampler.EnsureAllUsed();
        return new SamplerConfig(sampler, options, prefetch);
    }

    /// <summary>
    /// The P×K sampler over <paramref name="labels"/> (the training split's). Fails naming sampler.classes_per_batch
    /// when the split has fewer classes than P, and sampler.images_per_class when the small-class policy refuses a
    /// class; classes left out or padded are reported through <paramref name="warn"/>.
    /// </summary>
    public PKSampler Create(IReadOnlyList<long> labels, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(warn);
        int classes = labels.Distinct().Count();
        if (Options.ClassesPerBatch > classes)
            throw _section.Error("classes_per_batch", $"{Options.ClassesPerBatch} classes per batch, but the training split has only {classes} classes");
        PKSampler sampler;
        try
        {
            sampler = new PKSampler(labels, Options);
        }
        catch (ArgumentException e)
        {
            // With P and the data checked above, what remains is K against the classes' sizes.
            throw _section.Error("images_per_class", e.Message);
        }
        if (sampler.DroppedClasses is { Count: > 0 } dropped)
            warn($"warning: {dropped.Count} training class(es) with fewer than {Options.ImagesPerClass} images are left out of every batch "
                + $"(sampler.small_classes: drop), e.g. label {dropped[0].Label} ({dropped[0].Count} image(s))");
        if (sampler.PaddedClasses is { Count: > 0 } padded)
            warn($"warning: {padded.Count} training class(es) have fewer than {Options.ImagesPerClass} images; their images are drawn again to fill a batch "
                + $"(sampler.small_classes: pad), e.g. label {padded[0].Label} ({padded[0].Count} image(s))");
        return sampler;
    }
}
