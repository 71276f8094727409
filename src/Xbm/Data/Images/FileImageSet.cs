using System.Collections.Concurrent;
using Xbm.Data.Manifest;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Data.Images;

/// <summary>
/// An <see cref="IImageSet"/> over image files (a manifest part): decodes and transforms each batch on worker
/// threads. Image r of a batch draws its augmentation from <c>SeededRandom.Derive(seed, r)</c> only, so a batch
/// is identical whatever the number of workers. A missing or corrupt image fails the load (naming the file, list
/// and line) or, with <see cref="BadImagePolicy.Skip"/>, is logged once and replaced by the next readable image
/// of the same class in set order.
/// </summary>
public sealed class FileImageSet : IImageSet
{
    private readonly ManifestEntry[] _entries;
    private readonly long[] _labels;
    private readonly Dictionary<long, int[]> _byLabel;
    private readonly ImageTransform _transform;
    private readonly FileImageSetOptions _options;
    private readonly ConcurrentDictionary<int, string> _bad = new();

    /// <summary>Creates a set over <paramref name="entries"/> (their order is the set's position order).</summary>
    public FileImageSet(IReadOnlyList<ManifestEntry> entries, FileImageSetOptions? options = null)
    {
        _options = options ?? new FileImageSetOptions();
        if (_options.Workers < 1)
            throw new ArgumentException($"workers must be at least 1, got {_options.Workers}");
        _entries = entries.ToArray();
        _labels = _entries.Select(e => e.Label).ToArray();
        _byLabel = Enumerable.Range(0, _entries.Length).GroupBy(i => _labels[i]).ToDictionary(g => g.Key, g => g.ToArray());
        _transform = new ImageTransform(_options.Transform);
    }

    /// <inheritdoc/>
    public int Count => _entries.Length;

    /// <inheritdoc />
    public int Channels => ImageTransform.OutputChannels;

    /// <inheritdoc/>
    public IReadOnlyList<long> Labels => _labels;

    /// <summary>The manifest entries, by position.</summary>
    public IReadOnlyList<ManifestEntry> Entries => _entries;

    /// <summary>The transform applied to every image.</summary>
    public ImageTransform Transform => _transform;

    /// <summary>Positions found unreadable so far, with the reason.</summary>
    public IReadOnlyDictionary<int, string> BadImages => _bad;

    /// <inheritdoc/>
    public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(positions);
        return LoadSlice(positions, 0, positions.Count, augment, seed);
    }

    /// <inheritdoc/>
    public Tensor LoadSlice(IReadOnlyList<int> positions, int first, int count, bool augment, ulong seed)
    {
        BatchSlice.Check(positions, first, count);
        foreach (int p in positions)
            if ((uint)p >= (uint)_entries.Length)
                throw new ArgumentOutOfRangeException(nameof(positions), $"position {p} is outside the set of {_entries.Length} images");
        int size = _transform.Size, per = _transform.OutputLength;
        var result = empty(count, 3, size, size, dtype: ScalarType.Float32);
        try
        {
            unsafe
            {
                fixed (byte* start = result.bytes)
                {
                    nint basePointer = (nint)start;
                    Run(count, i =>
                    {
                        int r = first + i; // the batch entry, whose seed the augmentation draws from
                        var destination = new Span<float>((float*)basePointer + (long)i * per, per);
                        LoadInto(positions[r], augment, augment ? SeededRandom.Derive(seed, (ulong)r) : null, destination);
                    });
                }
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Loads one image as C×H×W floats (the same values <see cref="Load"/> puts at batch index <paramref name="batchIndex"/>).</summary>
    public float[] LoadImage(int position, bool augment, ulong seed, int batchIndex = 0)
    {
        var destination = new float[_transform.OutputLength];
        LoadInto(position, augment, augment ? SeededRandom.Derive(seed, (ulong)batchIndex) : null, destination);
        return destination;
    }

    private void Run(int count, Action<int> body)
    {
        if (_options.Workers == 1 || count == 1)
        {
            for (int r = 0; r < count; r++)
                body(r);
            return;
        }
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _options.Workers }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Report the error of the earliest image, whichever thread met it first.
            throw e.Flatten().InnerExceptions.OrderBy(x => x.Data["position"] as int? ?? int.MaxValue).First();
        }
    }

    private void LoadInto(int position, bool augment, SeededRandom? random, Span<float> destination)
    {
        var (image, entry) = Decode(position);
        _transform.Apply(image, entry.Box, augment, random, destination);
    }

    private (RgbImage Image, ManifestEntry Entry) Decode(int position)
    {
        if (TryDecode(position, out var image, out string? reason))
            return (image!, _entries[position]);
        var entry = _entries[position];
        if (_options.OnBadImage == BadImagePolicy.Fail)
        {
            var error = new InvalidDataException($"{entry.Source}: {reason}");
            error.Data["position"] = position;
            throw error;
        }
        var sameClass = _byLabel[entry.Label];
        int start = Array.IndexOf(sameClass, position);
        for (int k = 1; k < sameClass.Length; k++)
        {
            int candidate = sameClass[(start + k) % sameClass.Length];
            if (TryDecode(candidate, out var replacement, out _))
                return (replacement!, _entries[candidate]);
        }
        var none = new InvalidDataException($"{entry.Source}: {reason}; no readable image of class {entry.Label} is left to replace it");
        none.Data["position"] = position;
        throw none;
    }

    private bool TryDecode(int position, out RgbImage? image, out string? reason)
    {
        image = null;
        if (_bad.TryGetValue(position, out reason))
            return false;
        try
        {
            image = ImageDecoder.Decode(_entries[position].Path);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            reason = e.Message;
            if (_bad.TryAdd(position, reason) && _options.OnBadImage == BadImagePolicy.Skip)
            {
                string message = $"warning: {_entries[position].Source}: {reason}; skipped (replaced by another image of class {_entries[position].Label})";
                if (_options.Log is { } log)
                    log(message);
                else
                    Console.Error.WriteLine(message);
            }
            return false;
        }
    }
}
