using Xbm.Configuration;
using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// Builds the memory a config's <c>memory</c> section asks for:
/// <c>kind: fifo | momentum | xbn | adaptive_xbn | ema</c> (default fifo), <c>size</c> (rows; default the
/// training-set size) and each kind's options:
/// <list type="bullet">
/// <item><c>momentum</c>: for <c>momentum</c> the slot momentum m (default 0.5); for <c>ema</c> the weight of the
/// old estimate m, gain 1 − m (default 0.1).</item>
/// <item><c>eps</c> (default 1e-12) and <c>renormalise_in_place</c> (default false) for xbn, adaptive_xbn, ema.</item>
/// <item><c>p0</c> (1), <c>q</c> (1), <c>r</c> (0.01), <c>refresh_interval</c> (100) for adaptive_xbn.</item>
/// </list>
/// The momentum bank has one slot per training image: its capacity is the dataset size, and a <c>size</c>
/// other than the dataset size is an error (not silently ignored). A factory key that does not apply to the
/// chosen kind is an error naming the key. The factory does not call <see cref="ConfigSection.EnsureAllUsed"/>:
/// <see cref="MemoryConfig"/>, the section's owner, reads the wiring keys (start iteration, weight, ...) and calls it after.
/// </summary>
public static class MemoryFactory
{
    /// <summary>The memory kinds, as written in configs.</summary>
    public static IReadOnlyList<string> Kinds { get; } = new[]
    {
        CrossBatchMemory.KindName, MomentumMemory.KindName, CrossBatchNorm.XbnKindName, CrossBatchNorm.AdaptiveKindName, CrossBatchNorm.EmaKindName,
    };

    /// <summary>The keys of the memory section this factory reads (<see cref="MemoryConfig"/> reads the wiring keys).</summary>
    public static IReadOnlyList<string> Keys { get; } = new[]
    {
        "kind", "size", "momentum", "eps", "renormalise_in_place", "p0", "q", "r", "refresh_interval",
    };

    /// <summary>The default EMA momentum m (the XBN paper's best value; the gain is 1 − m).</summary>
    public const double DefaultEmaMomentum = 0.1;

    /// <summary>Adaptive XBN's default initial error variance p₀.</summary>
    public const double DefaultP0 = 1;

    /// <summary>Adaptive XBN's default process noise q.</summary>
    public const double DefaultQ = 1;

    /// <summary>Adaptive XBN's default measurement noise r.</summary>
    public const double DefaultR = 0.01;

    /// <summary>Adaptive XBN's default gain refresh interval (updates).</summary>
    public const long DefaultRefreshInterval = 100;

    /// <summary>
    /// Creates the memory described by <paramref name="memory"/> for embeddings of <paramref name="dimension"/>
    /// and a training set of <paramref name="datasetSize"/> images, on <paramref name="device"/>.
    /// </summary>
    public static IEmbeddingMemory Create(ConfigSection memory, long dimension, long datasetSize, Device device)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(device);
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "embedding dimension must be positive");
        if (datasetSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(datasetSize), datasetSize, "the training set must not be empty");

        string kind = memory.Choice("kind", CrossBatchMemory.KindName, Kinds.ToArray());
        RejectInapplicable(memory, kind);
        long size = memory.Long("size", datasetSize, min: 1);

        switch (kind)
        {
            case CrossBatchMemory.KindName:
                return new CrossBatchMemory(size, dimension, device);
            case MomentumMemory.KindName:
                if (size != datasetSize)
                    throw memory.Error("size", $"the momentum bank has one slot per training image, so its size is the training-set size ({datasetSize}); remove size or set it to {datasetSize}");
                return new MomentumMemory(datasetSize, dimension, memory.Double("momentum", MomentumMemory.DefaultMomentum, 0, 1), device);
            default:
                double eps = memory.Double("eps", CrossBatchNorm.DefaultEpsilon, 0);
                if (eps <= 0)
                    throw memory.Error("eps", "must be positive (it guards the division by the memory's standard deviation)");
                bool inPlace = memory.Bool("renormalise_in_place", false);
                MomentFilter filter = kind switch
                {
                    CrossBatchNorm.XbnKindName => MomentFilter.Batch(),
                    CrossBatchNorm.AdaptiveKindName => MomentFilter.Kalman(
                        memory.Double("p0", DefaultP0, 0), memory.Double("q", DefaultQ, 0), memory.Double("r", DefaultR, 0),
                        memory.Long("refresh_interval", DefaultRefreshInterval, min: 1)),
                    _ => MomentFilter.ConstantGain(1 - memory.Double("momentum", DefaultEmaMomentum, 0, 1)),
                };
                return new CrossBatchNorm(size, dimension, filter, eps, inPlace, device, kind: kind);
        }
    }

    /// <summary>The factory keys that apply to <paramref name="kind"/>.</summary>
    public static IReadOnlyList<string> KeysFor(string kind) => kind switch
    {
        CrossBatchMemory.KindName => new[] { "kind", "size" },
        MomentumMemory.KindName => new[] { "kind", "size", "momentum" },
        CrossBatchNorm.XbnKindName => new[] { "kind", "size", "eps", "renormalise_in_place" },
        CrossBatchNorm.AdaptiveKindName => new[] { "kind", "size", "eps", "renormalise_in_place", "p0", "q", "r", "refresh_interval" },
        CrossBatchNorm.EmaKindName => new[] { "kind", "size", "eps", "renormalise_in_place", "momentum" },
        _ => throw new ArgumentException($"unknown memory kind '{kind}'", nameof(kind)),
    };

    private static void RejectInapplicable(ConfigSection memory, string kind)
    {
        var applicable = KeysFor(kind);
        foreach (string key in Keys)
            if (memory.Has(key) && !applicable.Contains(key))
                throw memory.Error(key, $"does not apply to memory kind '{kind}' (its options: {string.Join(", ", applicable)})");
    }
}
