using Xbm.Configuration;
using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>
/// The owner of a config's <c>memory</c> section: the memory's storage (<see cref="MemoryFactory"/>: kind, size
/// and each kind's options) and its wiring into training (<see cref="XbmOptions"/>: start_iteration, weight,
/// memory_loss_only, init, start_drift, start_drift_delta), read and reconciled in one place. "memory: none" (or
/// no memory section) trains without memory, and then any other key is an error; "memory: fifo" is {kind: fifo}.
/// </summary>
public sealed class MemoryConfig
{
    private readonly ConfigSection _section;

    private MemoryConfig(ConfigSection section, XbmOptions wiring)
    {
        _section = section;
        Wiring = wiring;
    }

    /// <summary>How the memory is wired into training (disabled when the memory is off).</summary>
    public XbmOptions Wiring { get; }

    /// <summary>Reads the wiring keys of <paramref name="memory"/>; <see cref="Create"/> reads the storage keys and checks the section.</summary>
    public static MemoryConfig Read(ConfigSection memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        bool enabled = memory.Values.Count > 0 && memory.String("kind", "fifo") != "none";
        if (!enabled)
            return new MemoryConfig(memory, new XbmOptions());
        long start = memory.Long("start_iteration", 1, min: 1);
        return new MemoryConfig(memory, new XbmOptions(true, start,
            memory.Double("weight", 1.0, min: 0),
            memory.Bool("memory_loss_only", false),
            memory.Choice("init", "none", "none", "random_train"),
            memory.OptionalDouble("start_drift", min: 0),
            memory.Long("start_drift_delta", 100, min: 1)));
    }

    /// <summary>
    /// Creates the memory (null when it is off) for embeddings of <paramref name="dimension"/> and a training set of
    /// <paramref name="datasetSize"/> images, on <paramref name="device"/>, then checks the section: no unknown key,
    /// no key while the memory is off, a start within the <paramref name="iterations"/>, and an adaptive start
    /// (start_drift) only with a drift section measuring its Δt (<paramref name="driftDeltas"/>, null = no drift section).
    /// Errors name the file and key.
    /// </summary>
    public IEmbeddingMemory? Create(long dimension, long datasetSize, Device device, long iterations, IReadOnlyList<long>? driftDeltas)
    {
        var memory = Wiring.Enabled ? MemoryFactory.Create(_section, dimension, datasetSize, device) : null;
        try
        {
            Check(iterations, driftDeltas);
            return memory;
        }
        catch
        {
            memory?.Dispose();
            throw;
        }
    }

    private void Check(long iterations, IReadOnlyList<long>? driftDeltas)
    {
        if (!Wiring.Enabled)
        {
            _section.String("kind", "none");
            if (_section.Keys.FirstOrDefault(k => k != "kind") is { } unused)
                throw _section.Error(unused, "the memory is off (memory: none), so this key has no effect; "
                    + "turn the memory on with memory.kind: fifo (or --set memory.kind=fifo), or remove the key");
        }
        _section.EnsureAllUsed();
        if (Wiring.Enabled && Wiring.StartIteration > iterations)
            throw _section.Error("start_iteration", $"{Wiring.StartIteration} is past the end of training (iterations: {iterations})");
        if (Wiring.StartDrift is null)
            return;
        if (driftDeltas is null)
            throw _section.Error("start_drift", "the adaptive start watches the measured drift: add a drift section (e.g. drift: {every: 50, deltas: [100]})");
        if (!driftDeltas.Contains(Wiring.StartDriftDelta))
            throw _section.Error("start_drift_delta", $"{Wiring.StartDriftDelta} is not among drift.deltas ({string.Join(", ", driftDeltas)})");
    }
}
