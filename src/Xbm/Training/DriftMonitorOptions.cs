using Xbm.Configuration;

namespace Xbm.Training;

/// <summary>Settings of a <see cref="DriftMonitor"/>.</summary>
public sealed record DriftMonitorOptions
{
    /// <summary>Number of probe images drawn (seeded) from the image set; all images when larger. Default 256.</summary>
    public int ProbeCount { get; init; } = 256;

    /// <summary>The Δt values compared. Default 10, 100, 1000.</summary>
    public IReadOnlyList<long> Deltas { get; init; } = new long[] { 10, 100, 1000 };

    /// <summary>Drift is measured at every iteration that is a multiple of this. Default 100.</summary>
    public long Interval { get; init; } = 100;

    /// <summary>Seed of the probe draw.</summary>
    public ulong Seed { get; init; }

    /// <summary>Images per forward pass when embedding the probes. Default 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Probe images kept in memory between measurements up to this many bytes (the rest is reloaded). Default 256 MiB.</summary>
    public long ImageCacheBytes { get; init; } = 256L << 20;

    /// <summary>The keys <see cref="FromConfig"/> reads.</summary>
    public static IReadOnlyList<string> Keys { get; } = new[] { "probes", "deltas", "every", "interval", "batch_size", "seed" };

    /// <summary>
    /// Reads <c>probes</c>, <c>deltas</c>, <c>every</c> (the interval; <c>interval</c> is accepted as its
    /// older name), <c>batch_size</c> and <c>seed</c> (default
    /// <paramref name="seed"/>, e.g. the run's seed) from a section, then rejects unknown keys.
    /// </summary>
    public static DriftMonitorOptions FromConfig(ConfigSection section, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(section);
        var defaults = new DriftMonitorOptions();
        var options = new DriftMonitorOptions
        {
            ProbeCount = section.Int("probes", defaults.ProbeCount, min: 1),
            Deltas = section.LongList("deltas", defaults.Deltas, min: 1),
            Interval = section.Has("every") && section.Has("interval")
                ? throw section.Error("interval", "is the older name of every: give one of them")
                : section.Long(section.Has("interval") ? "interval" : "every", defaults.Interval, min: 1),
            BatchSize = section.Int("batch_size", defaults.BatchSize, min: 1),
            Seed = (ulong)section.Long("seed", (long)seed, min: 0),
        };
        if (options.Deltas.Count == 0)
            throw section.Error("deltas", "needs at least one value");
        section.EnsureAllUsed();
        return options;
    }
}
