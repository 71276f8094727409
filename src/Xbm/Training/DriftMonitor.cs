using TorchSharp;
using Xbm.Data;
using Xbm.Evaluation;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// Measures feature drift during training (docs/design.md §4): D(x, t, Δt) = ‖f(x; θ_t) − f(x; θ_{t−Δt})‖²
/// averaged over a fixed, seeded probe set of training images, embeddings L2-normalised and the model in
/// eval mode (its previous mode is restored afterwards).
/// </summary>
/// <remarks>
/// Drift is measured at every iteration t that is a multiple of <see cref="DriftMonitorOptions.Interval"/>,
/// for each Δt whose earlier embeddings were recorded. To keep the cost bounded the monitor embeds the probes
/// only at the iterations <see cref="Due"/> names (the measurement iterations and, for a Δt that is not a
/// multiple of the interval, the iterations Δt before them) and keeps a probe snapshot only while a later
/// measurement still needs it: at most about max(Δt)/interval + |Δt| snapshots of probes×d floats. Choosing
/// every Δt as a multiple of the interval means one probe pass per interval. Call
/// <c>Record(0, model)</c> before training so that the first Δt can be measured. Snapshots are not
/// checkpointed: after a resume, D(t, Δt) reappears Δt iterations later.
/// </remarks>
public sealed class DriftMonitor : IDisposable
{
    private readonly IImageSet _images;
    private readonly int[] _probes;
    private readonly long[] _deltas;
    private readonly SortedDictionary<long, Tensor> _snapshots = new();
    private readonly Dictionary<long, DriftSample> _latest = new();
    private readonly List<DriftSample> _samples = new();
    private readonly Dictionary<long, Tensor> _imageCache = new();
    private readonly ProbeSet _probeSet;
    private long _cachedBytes;
    private long? _lastRecorded;

    /// <summary>Draws the probe set from <paramref name="images"/> with <paramref name="options"/>' seed.</summary>
    public DriftMonitor(IImageSet images, DriftMonitorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        Options = options ?? new DriftMonitorOptions();
        if (images.Count == 0)
            throw new ArgumentException("the drift probe set needs a non-empty image set", nameof(images));
        if (Options.ProbeCount < 1 || Options.BatchSize < 1 || Options.Interval < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "probe count, batch size and interval must be positive");
        if (Options.Deltas.Count == 0 || Options.Deltas.Any(d => d < 1))
            throw new ArgumentOutOfRangeException(nameof(options), "drift needs at least one Δt, each positive");
        _images = images;
        _deltas = Options.Deltas.Distinct().Order().ToArray();
        _probes = DrawProbes(images.Count, Options.ProbeCount, Options.Seed);
        _probeSet = new ProbeSet(this);
    }

    /// <summary>The settings.</summary>
    public DriftMonitorOptions Options { get; }

    /// <summary>Positions of the probe images in the image set (ascending).</summary>
    public IReadOnlyList<int> Probes => _probes;

    /// <summary>The Δt values measured (ascending, distinct).</summary>
    public IReadOnlyList<long> Deltas => _deltas;

    /// <summary>Every sample recorded so far, in order.</summary>
    public IReadOnlyList<DriftSample> Samples => _samples;

    /// <summary>Probe snapshots currently kept (bounded; see the remarks).</summary>
    public int SnapshotCount => _snapshots.Count;

    /// <summary>True when <see cref="Record"/> has work at <paramref name="iteration"/>: a measurement, or a snapshot a later measurement needs.</summary>
    public bool Due(long iteration) =>
        iteration >= 0 && (IsMeasurement(iteration) || _deltas.Any(d => IsMeasurement(iteration + d)));

    /// <summary>The most recent drift measured at <paramref name="delta"/>, or null before the first.</summary>
    public double? LatestDrift(long delta)
    {
        if (!_deltas.Contains(delta))
            throw new ArgumentException($"Δt = {delta} is not monitored (monitored: {string.Join(", ", _deltas)})", nameof(delta));
        return _latest.TryGetValue(delta, out var sample) ? sample.Drift : null;
    }

    /// <summary>
    /// Embeds the probes with <paramref name="model"/> (the weights after <paramref name="iteration"/>) when
    /// <see cref="Due"/>, and returns the drift samples measured at this iteration (empty when none).
    /// Iterations must increase from call to call.
    /// </summary>
    public IReadOnlyList<DriftSample> Record(long iteration, nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (iteration < 0)
            throw new ArgumentOutOfRangeException(nameof(iteration), iteration, "iterations are non-negative");
        if (_lastRecorded is long last && iteration <= last)
            throw new ArgumentException($"drift iterations must increase: {iteration} after {last}", nameof(iteration));
        if (!Due(iteration))
            return Array.Empty<DriftSample>();
        _lastRecorded = iteration;

        Tensor current = Embed(model);
        var measured = new List<DriftSample>();
        if (IsMeasurement(iteration))
        {
            foreach (long delta in _deltas)
            {
                if (!_snapshots.TryGetValue(iteration - delta, out var past))
                    continue;
                using var scope = NewDisposeScope();
                var difference = current.sub(past).to(float64);
                double drift = difference.mul(difference).sum(1).mean().item<double>();
                var sample = new DriftSample(iteration, delta, drift);
                measured.Add(sample);
                _latest[delta] = sample;
            }
            _samples.AddRange(measured);
        }

        if (NeededAfter(iteration, iteration))
            _snapshots[iteration] = current;
        else
            current.Dispose();
        foreach (long stored in _snapshots.Keys.ToArray())
        {
            if (!NeededAfter(stored, iteration))
            {
                _snapshots[stored].Dispose();
                _snapshots.Remove(stored);
            }
        }
        return measured;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _snapshots.Values)
            t.Dispose();
        _snapshots.Clear();
        foreach (var t in _imageCache.Values)
            t.Dispose();
        _imageCache.Clear();
    }

    private bool IsMeasurement(long iteration) => iteration % Options.Interval == 0;

    /// <summary>True when a measurement after <paramref name="now"/> compares against a snapshot taken at <paramref name="snapshot"/>.</summary>
    private bool NeededAfter(long snapshot, long now) => _deltas.Any(d => snapshot + d > now && IsMeasurement(snapshot + d));

    private static int[] DrawProbes(int count, int wanted, ulong seed)
    {
        int n = Math.Min(count, wanted);
        var positions = Enumerable.Range(0, count).ToArray();
        var random = new SeededRandom(seed);
        for (int i = 0; i < n; i++) // partial Fisher–Yates: the first n are a uniform sample
        {
            int j = i + random.Next(count - i);
            (positions[i], positions[j]) = (positions[j], positions[i]);
        }
        var probes = positions[..n];
        Array.Sort(probes);
        return probes;
    }

    /// <summary>The probes' L2-normalised embeddings (probes×d, float32, CPU, outside any DisposeScope).</summary>
    private Tensor Embed(nn.Module<Tensor, Tensor> model)
    {
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        using var scope = NewDisposeScope();
        var embeddings = Embedder.Embed(model, _probeSet, Options.BatchSize, device); // eval mode, no gradient, mode restored
        return nn.functional.normalize(embeddings, p: 2, dim: 1).DetachFromDisposeScope();
    }

    /// <summary>
    /// The probe images as an image set for <see cref="Embedder"/>: position i is probe i. Batches are cached
    /// (keyed by their first position and length) while within <see cref="DriftMonitorOptions.ImageCacheBytes"/>;
    /// the rest is reloaded at each measurement.
    /// </summary>
    private sealed class ProbeSet(DriftMonitor owner) : IImageSet
    {
        public int Count => owner._probes.Length;

        public int Channels => owner._images.Channels;

        public IReadOnlyList<long> Labels => owner._probes.Select(p => owner._images.Labels[p]).ToArray();

        public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed)
        {
            int first = positions.Count == 0 ? 0 : positions[0];
            bool contiguous = positions.Select((p, i) => p == first + i).All(x => x);
            long key = ((long)first << 32) | (uint)positions.Count;
            if (contiguous && owner._imageCache.TryGetValue(key, out var cached))
                return cached;
            var images = owner._images.Load(positions.Select(i => owner._probes[i]).ToArray(), augment: false, seed: 0);
            long bytes = images.numel() * images.element_size();
            if (contiguous && owner._cachedBytes + bytes <= owner.Options.ImageCacheBytes)
            {
                owner._imageCache[key] = images.DetachFromDisposeScope();
                owner._cachedBytes += bytes;
            }
            return images;
        }
    }
}
