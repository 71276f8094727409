using Xbm.Runtime;

namespace Xbm.Data;

/// <summary>A class and its number of images (for the sampler's report of small classes).</summary>
/// <param name="Label">The class label.</param>
/// <param name="Count">Its number of images.</param>
public readonly record struct ClassCount(long Label, int Count);

/// <summary>
/// Class-balanced batches of P classes × K images (docs/design.md §6, the reference's algorithm). A pass
/// prepares every class: its images, padded to a multiple of K by drawing the class's images again with
/// replacement, are shuffled and cut into chunks of K. Each batch draws P distinct classes, one after the
/// other, with probability proportional to their remaining chunks, and takes the next chunk of each. A new
/// pass starts when fewer than P classes have chunks left (their leftover chunks are not used). The sampler
/// never ends: the trainer draws one batch per iteration for a fixed number of iterations.
/// </summary>
/// <remarks>
/// Differences from the reference code (docs/design.md wins): the reference pads only classes smaller than K and
/// drops the last incomplete chunk of the others; we pad every class to a multiple of K so no image is left
/// out of a pass. We pad before shuffling, so the repeated images land in random chunks. Classes are drawn
/// proportionally to their remaining chunks, as docs/design.md says. Randomness comes from one
/// <see cref="SeededRandom"/>, so <see cref="GetState"/>/<see cref="LoadState(SamplerState)"/> resume exactly: the state
/// is the generator at the start of the current pass plus the number of batches drawn in it, replayed on load.
/// </remarks>
public sealed class PKSampler : IBatchSampler
{
    private readonly int[][] _classPositions;   // positions of each usable class, ascending
    private readonly long[] _classLabels;        // label of each usable class, ascending
    private readonly int _datasetCount;
    private readonly ulong _fingerprint;
    private SeededRandom _random;

    // The current pass.
    private ulong[] _passStart;
    private int[][] _order = [];                 // per class: its padded, shuffled positions (chunks of K)
    private int[] _remaining = [];               // per class: chunks not yet used in this pass
    private int[] _cursor = [];                  // per class: next chunk
    private readonly List<int> _available = [];  // classes with chunks left, in class order
    private long _pass, _batchesInPass, _batchesDrawn;

    /// <summary>Creates the sampler over the labels of a dataset (position i has label <paramref name="labels"/>[i]).</summary>
    /// <exception cref="ArgumentException">P or K below 1, an empty dataset, fewer than P usable classes, or
    /// (policy <see cref="SmallClassPolicy.Error"/>) a class with fewer than K images.</exception>
    public PKSampler(IReadOnlyList<long> labels, PKSamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ClassesPerBatch < 1)
            throw new ArgumentException($"P (classes per batch) must be at least 1, got {options.ClassesPerBatch}", nameof(options));
        if (options.ImagesPerClass < 1)
            throw new ArgumentException($"K (images per class) must be at least 1, got {options.ImagesPerClass}", nameof(options));
        if (labels.Count == 0)
            throw new ArgumentException("the P×K sampler got an empty dataset (no images)", nameof(labels));
        Options = options;
        int k = options.ImagesPerClass;

        var byClass = new SortedDictionary<long, List<int>>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (!byClass.TryGetValue(labels[i], out var list))
                byClass[labels[i]] = list = [];
            list.Add(i);
        }

        var padded = new List<ClassCount>();
        var dropped = new List<ClassCount>();
        var positions = new List<int[]>();
        var classLabels = new List<long>();
        foreach (var (label, list) in byClass)
        {
            if (list.Count < k)
            {
                switch (options.SmallClasses)
                {
                    case SmallClassPolicy.Error:
                        throw new ArgumentException(
                            $"class {label} has {list.Count} image{(list.Count == 1 ? "" : "s")}, fewer than K = {k} images per class "
                            + "(lower K, or set the small-class policy to pad or drop)", nameof(labels));
                    case SmallClassPolicy.Drop:
                        dropped.Add(new ClassCount(label, list.Count));
                        continue;
                    default:
                        padded.Add(new ClassCount(label, list.Count));
                        break;
                }
            }
            positions.Add(list.ToArray());
            classLabels.Add(label);
        }
        if (positions.Count < options.ClassesPerBatch)
            throw new ArgumentException(
                $"a batch needs P = {options.ClassesPerBatch} distinct classes, but the dataset has only {positions.Count} usable class{(positions.Count == 1 ? "" : "es")}"
                + (dropped.Count > 0 ? $" ({dropped.Count} dropped with fewer than K = {k} images)" : ""), nameof(labels));

        _classPositions = positions.ToArray();
        _classLabels = classLabels.ToArray();
        _datasetCount = labels.Count;
        PaddedClasses = padded;
        DroppedClasses = dropped;
        ChunksPerPass = _classPositions.Sum(p => (p.Length + k - 1) / k);
        PaddingPerPass = _classPositions.Sum(p => (p.Length + k - 1) / k * k - p.Length);
        _fingerprint = Fingerprint(labels, options.SmallClasses);
        _random = new SeededRandom(options.Seed);
        _passStart = _random.State;
    }

    /// <summary>The options.</summary>
    public PKSamplerOptions Options { get; }

    /// <summary>Batch size P×K.</summary>
    public int BatchSize => Options.BatchSize;

    /// <summary>Number of classes the sampler draws from.</summary>
    public int ClassCount => _classLabels.Length;

    /// <summary>Classes with fewer than K images that are padded by drawing with replacement (policy Pad).</summary>
    public IReadOnlyList<ClassCount> PaddedClasses { get; }

    /// <summary>Classes with fewer than K images that were left out (policy Drop).</summary>
    public IReadOnlyList<ClassCount> DroppedClasses { get; }

    /// <summary>Chunks of K images prepared per pass (over all usable classes).</summary>
    public int ChunksPerPass { get; }

    /// <summary>Images repeated per pass to pad every class to a multiple of K.</summary>
    public int PaddingPerPass { get; }

    /// <summary>Passes started so far (the pass of the last batch; 0 before the first).</summary>
    public long Pass => _pass;

    /// <summary>Batches drawn so far.</summary>
    public long BatchesDrawn => _batchesDrawn;

    /// <summary>
    /// The dataset positions of the next batch: P×K positions, grouped by class (K consecutive positions per
    /// class, classes in the order they were drawn).
    /// </summary>
    public int[] Next()
    {
        if (_pass == 0 || _available.Count < Options.ClassesPerBatch)
            StartPass();
        int p = Options.ClassesPerBatch, k = Options.ImagesPerClass;
        var batch = new int[p * k];
        var chosen = new int[p];
        for (int j = 0; j < p; j++)
        {
            // Draw one class among the available, not yet chosen, in proportion to its remaining chunks.
            long total = 0;
            foreach (int c in _available)
                if (Array.IndexOf(chosen, c, 0, j) < 0)
                    total += _remaining[c];
            long ticket = NextLong(total);
            int pick = -1;
            foreach (int c in _available)
            {
                if (Array.IndexOf(chosen, c, 0, j) >= 0)
                    continue;
                ticket -= _remaining[c];
                if (ticket < 0)
                {
                    pick = c;
                    break;
                }
            }
            chosen[j] = pick;
        }
        for (int j = 0; j < p; j++)
        {
            int c = chosen[j];
            Array.Copy(_order[c], _cursor[c] * k, batch, j * k, k);
            _cursor[c]++;
            if (--_remaining[c] == 0)
                _available.Remove(c);
        }
        _batchesInPass++;
        _batchesDrawn++;
        return batch;
    }

    /// <inheritdoc />
    IReadOnlyList<int> IBatchSampler.Next() => Next();

    /// <inheritdoc />
    public string SaveState() => System.Text.Json.JsonSerializer.Serialize(GetState());

    /// <inheritdoc />
    public void LoadState(string state) =>
        LoadState(System.Text.Json.JsonSerializer.Deserialize<SamplerState>(state) ?? throw new ArgumentException("empty sampler state", nameof(state)));

    /// <summary>The state to checkpoint (compact: a generator state and three counters).</summary>
    public SamplerState GetState() => new(
        (ulong[])_passStart.Clone(), _pass, _batchesInPass, _batchesDrawn,
        Options.ClassesPerBatch, Options.ImagesPerClass, _datasetCount, _fingerprint);

    /// <summary>
    /// Restores a state from <see cref="GetState"/>: the batches that follow are exactly those the saving
    /// sampler would have drawn next. The state must come from a sampler with the same options and labels.
    /// </summary>
    public void LoadState(SamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.ClassesPerBatch != Options.ClassesPerBatch || state.ImagesPerClass != Options.ImagesPerClass
            || state.DatasetCount != _datasetCount || state.Fingerprint != _fingerprint)
            throw new ArgumentException(
                $"the sampler state was saved for P = {state.ClassesPerBatch}, K = {state.ImagesPerClass}, {state.DatasetCount} images "
                + $"(labels/policy fingerprint {state.Fingerprint:X16}); this sampler has P = {Options.ClassesPerBatch}, K = {Options.ImagesPerClass}, "
                + $"{_datasetCount} images (fingerprint {_fingerprint:X16})", nameof(state));
        if (state.Pass < 0 || state.BatchesInPass < 0 || state.BatchesDrawn < state.BatchesInPass || (state.Pass == 0 && state.BatchesInPass != 0))
            throw new ArgumentException($"the sampler state is inconsistent (pass {state.Pass}, {state.BatchesInPass} batches in the pass, {state.BatchesDrawn} drawn)", nameof(state));

        _random = new SeededRandom(state.PassStartRandom);
        _passStart = _random.State;
        _available.Clear();
        _pass = 0;
        _batchesInPass = 0;
        if (state.Pass > 0)
        {
            StartPass();
            for (long b = 0; b < state.BatchesInPass; b++)
            {
                if (_available.Count < Options.ClassesPerBatch)
                    throw new ArgumentException($"the sampler state is inconsistent: pass {state.Pass} cannot hold {state.BatchesInPass} batches", nameof(state));
                Next();
            }
        }
        _pass = state.Pass;
        _batchesInPass = state.BatchesInPass;
        _batchesDrawn = state.BatchesDrawn;
    }

    private void StartPass()
    {
        _passStart = _random.State;
        int k = Options.ImagesPerClass;
        int classes = _classPositions.Length;
        _order = new int[classes][];
        _remaining = new int[classes];
        _cursor = new int[classes];
        _available.Clear();
        for (int c = 0; c < classes; c++)
        {
            int[] images = _classPositions[c];
            int chunks = (images.Length + k - 1) / k;
            var order = new int[chunks * k];
            Array.Copy(images, order, images.Length);
            for (int i = images.Length; i < order.Length; i++)
                order[i] = images[_random.Next(images.Length)]; // pad with replacement
            _random.Shuffle(order);
            _order[c] = order;
            _remaining[c] = chunks;
            _available.Add(c);
        }
        _pass++;
        _batchesInPass = 0;
    }

    private long NextLong(long exclusiveMax) =>
        exclusiveMax <= int.MaxValue ? _random.Next((int)exclusiveMax) : (long)(_random.NextUInt64() % (ulong)exclusiveMax);

    private static ulong Fingerprint(IReadOnlyList<long> labels, SmallClassPolicy policy)
    {
        // FNV-1a over the labels and the policy.
        ulong hash = 0xCBF29CE484222325UL;
        void Mix(long value)
        {
            for (int b = 0; b < 8; b++)
            {
                hash ^= (byte)(value >> (8 * b));
                hash *= 0x100000001B3UL;
            }
        }
        foreach (long label in labels)
            Mix(label);
        Mix((long)policy);
        return hash;
    }
}
