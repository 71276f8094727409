using Xbm.Data.Images;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Data.Clips;

/// <summary>
/// Turns clip positions of a <see cref="ClipSet"/> into a float32 batch [B, N, 3, S, S]: N frames per clip chosen by
/// <see cref="SegmentSampling"/>, decoded with <see cref="ImageDecoder"/> and transformed with <see cref="ImageTransform"/>
/// on worker threads. Clip r of a batch draws from <c>SeededRandom.Derive(seed, r)</c> only: first its N frame
/// offsets, then one 64-bit seed from which every frame of the clip starts its augmentation, so all frames of a clip
/// share the same random crop and flip (TSN's group augmentation) and a batch is the same whatever the number of
/// workers. Clips with fewer frames than segments fail at construction unless <see cref="ClipLoaderOptions.RepeatShortClips"/>;
/// a missing or corrupt frame fails the load with an error naming the clip and the frame file.
/// </summary>
public sealed class ClipLoader
{
    private readonly ClipEntry[] _clips;
    private readonly ImageTransform _transform;
    private readonly long[] _labels;

    /// <summary>Creates a loader over the clips of <paramref name="set"/>.</summary>
    public ClipLoader(ClipSet set, ClipLoaderOptions? options = null) : this(set.Clips, options) { }

    /// <summary>Creates a loader over <paramref name="clips"/> (their order is the position order).</summary>
    public ClipLoader(IReadOnlyList<ClipEntry> clips, ClipLoaderOptions? options = null)
    {
        Options = options ?? new ClipLoaderOptions();
        if (Options.Workers < 1)
            throw new ArgumentException($"workers must be at least 1, got {Options.Workers}");
        if (Options.Segments < 1)
            throw new ArgumentException($"segments must be at least 1, got {Options.Segments}");
        _clips = clips.ToArray();
        _labels = _clips.Select(c => c.Label).ToArray();
        _transform = new ImageTransform(Options.Transform);
        if (!Options.RepeatShortClips)
        {
            var short_ = _clips.Where(c => c.Frames.Count < Options.Segments).ToList();
            if (short_.Count > 0)
                throw new InvalidDataException(
                    $"{short_[0].Describe()}: {short_[0].Frames.Count} frame(s), fewer than the {Options.Segments} segments"
                    + (short_.Count > 1 ? $" ({short_.Count} clips are that short)" : "")
                    + "; allow repeated frames (repeat short clips) or use fewer segments");
        }
    }

    /// <summary>The options.</summary>
    public ClipLoaderOptions Options { get; }

    /// <summary>The clips, by position.</summary>
    public IReadOnlyList<ClipEntry> Clips => _clips;

    /// <summary>Number of clips.</summary>
    public int Count => _clips.Length;

    /// <summary>The label of each clip, by position.</summary>
    public IReadOnlyList<long> Labels => _labels;

    /// <summary>Side S of the square frames.</summary>
    public int FrameSize => _transform.Size;

    /// <summary>The frame indices clip <paramref name="position"/> uses at batch index <paramref name="batchIndex"/> (what <see cref="Load"/> picks).</summary>
    public int[] FrameIndices(int position, bool training, ulong seed, int batchIndex = 0) =>
        Plan(position, training, seed, batchIndex).Frames;

    /// <summary>The clips at <paramref name="positions"/> as [B, N, 3, S, S]; <paramref name="training"/> samples random frames per segment (and augments).</summary>
    public Tensor Load(IReadOnlyList<int> positions, bool training, ulong seed)
    {
        foreach (int p in positions)
            if ((uint)p >= (uint)_clips.Length)
                throw new ArgumentOutOfRangeException(nameof(positions), $"position {p} is outside the set of {_clips.Length} clips");
        int n = Options.Segments, size = _transform.Size, per = _transform.OutputLength;
        var plans = positions.Select((p, r) => Plan(p, training, seed, r)).ToArray();
        var result = empty([positions.Count, n, 3, size, size], dtype: ScalarType.Float32);
        try
        {
            unsafe
            {
                fixed (byte* start = result.bytes)
                {
                    nint basePointer = (nint)start;
                    Run(positions.Count * n, job =>
                    {
                        int r = job / n, f = job % n;
                        var destination = new Span<float>((float*)basePointer + (long)job * per, per);
                        LoadFrame(positions[r], plans[r].Frames[f], plans[r].AugmentSeed, destination, job);
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

    private (int[] Frames, ulong? AugmentSeed) Plan(int position, bool training, ulong seed, int batchIndex)
    {
        var clip = _clips[position];
        var random = training ? SeededRandom.Derive(seed, (ulong)batchIndex) : null;
        int[] frames;
        try
        {
            frames = SegmentSampling.Indices(clip.Frames.Count, Options.Segments, random, Options.RepeatShortClips);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{clip.Describe()}: {e.Message.Split(" (Parameter")[0]}", e);
        }
        ulong? augment = training && Options.Augment ? random!.NextUInt64() : null;
        return (frames, augment);
    }

    private void LoadFrame(int position, int frame, ulong? augmentSeed, Span<float> destination, int job)
    {
        var clip = _clips[position];
        RgbImage image;
        try
        {
            image = ImageDecoder.Decode(clip.Frames[frame]);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var error = new InvalidDataException($"{clip.Describe()}: frame {frame + 1} of {clip.Frames.Count}: {e.Message}", e);
            error.Data["job"] = job;
            throw error;
        }
        _transform.Apply(image, null, augmentSeed is not null, augmentSeed is { } s ? new SeededRandom(s) : null, destination);
    }

    private void Run(int count, Action<int> body)
    {
        if (Options.Workers == 1 || count == 1)
        {
            for (int i = 0; i < count; i++)
                body(i);
            return;
        }
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Options.Workers }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Report the error of the earliest frame, whichever thread met it first.
            throw e.Flatten().InnerExceptions.OrderBy(x => x.Data["job"] as int? ?? int.MaxValue).First();
        }
    }
}
