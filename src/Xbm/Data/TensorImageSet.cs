using System.Runtime.InteropServices;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Data;

/// <summary>
/// An <see cref="IImageSet"/> over images held in memory as a uint8 N×C×H×W tensor (e.g. Fashion-MNIST).
/// <see cref="Load"/> returns float32 images normalised per channel, with the training augmentation
/// (<see cref="TensorAugmentation"/>) when asked: image r of a batch draws its crop and flip from
/// <see cref="SeededRandom.Derive"/>(seed, r) only. Pixels are converted through a 256-entry lookup table
/// straight into the output tensor's memory, so a batch costs a few microseconds per 28×28 image.
/// </summary>
public sealed class TensorImageSet : IImageSet, IDisposable
{
    private readonly Tensor _images;
    private readonly long[] _labels;
    private readonly float[][] _tables;

    /// <summary>
    /// Creates the set. It keeps its own reference to <paramref name="images"/> (a uint8 N×C×H×W CPU tensor,
    /// made contiguous), so the caller may dispose its copy; <see cref="Dispose"/> releases the set's.
    /// </summary>
    public TensorImageSet(Tensor images, IReadOnlyList<long> labels, PixelNormalization normalization, TensorAugmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(normalization);
        if (images.dtype != ScalarType.Byte)
            throw new ArgumentException($"images must be a uint8 tensor, got {images.dtype}", nameof(images));
        if (images.Dimensions != 4)
            throw new ArgumentException($"images must be N×C×H×W, got {images.Dimensions} dimensions", nameof(images));
        if (images.device_type != TorchSharp.DeviceType.CPU)
            throw new ArgumentException("images must be on the CPU", nameof(images));
        long[] shape = images.shape;
        if (shape[0] != labels.Count)
            throw new ArgumentException($"{shape[0]} images but {labels.Count} labels", nameof(labels));
        if (shape[2] * shape[3] * shape[1] > int.MaxValue)
            throw new ArgumentException("images are too large", nameof(images));
        (Count, Channels, Height, Width) = ((int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]);
        Augmentation = augmentation ?? new TensorAugmentation();
        Augmentation.Validate(Height, Width);
        Normalization = normalization;
        _tables = normalization.LookupTables(Channels);
        _labels = labels.ToArray();
        Labels = Array.AsReadOnly(_labels);
        _images = images.contiguous().DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public IReadOnlyList<long> Labels { get; }

    /// <inheritdoc />
    public int Channels { get; }

    /// <summary>Image height (H).</summary>
    public int Height { get; }

    /// <summary>Image width (W).</summary>
    public int Width { get; }

    /// <summary>The per-channel normalisation applied by <see cref="Load"/>.</summary>
    public PixelNormalization Normalization { get; }

    /// <summary>The training augmentation applied by <see cref="Load"/> when asked.</summary>
    public TensorAugmentation Augmentation { get; }

    /// <summary>The raw uint8 N×C×H×W images (owned by the set: do not dispose).</summary>
    public Tensor Images => _images;

    /// <inheritdoc />
    public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(positions);
        return LoadSlice(positions, 0, positions.Count, augment, seed);
    }

    /// <inheritdoc />
    public Tensor LoadSlice(IReadOnlyList<int> positions, int first, int count, bool augment, ulong seed)
    {
        BatchSlice.Check(positions, first, count);
        var crops = new CropFlip[count];
        var slice = new int[count];
        for (int i = 0; i < count; i++)
        {
            int r = first + i, p = positions[r];
            if ((uint)p >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(positions), $"position {p} (batch entry {r}) is outside the set's {Count} images");
            slice[i] = p;
            crops[i] = augment ? Augmentation.Draw(SeededRandom.Derive(seed, (ulong)r)) : CropFlip.Identity;
        }
        return Render(slice, crops);
    }

    /// <summary>
    /// Renders the images at <paramref name="positions"/> with explicit crop/flip parameters (one per image)
    /// as a float32 N×C×H×W tensor; <see cref="Load"/> draws these parameters and calls this.
    /// </summary>
    public Tensor Render(IReadOnlyList<int> positions, IReadOnlyList<CropFlip> crops)
    {
        if (crops.Count != positions.Count)
            throw new ArgumentException($"{positions.Count} positions but {crops.Count} crop parameters", nameof(crops));
        var output = empty(new long[] { positions.Count, Channels, Height, Width }, ScalarType.Float32);
        if (positions.Count == 0)
            return output;
        Span<float> destination = MemoryMarshal.Cast<byte, float>(output.bytes);
        ReadOnlySpan<byte> source = _images.bytes;
        int plane = Height * Width;
        int imageSize = Channels * plane;
        for (int r = 0; r < positions.Count; r++)
        {
            int p = positions[r];
            if ((uint)p >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(positions), $"position {p} (batch entry {r}) is outside the set's {Count} images");
            ReadOnlySpan<byte> image = source.Slice(p * imageSize, imageSize);
            Span<float> target = destination.Slice(r * imageSize, imageSize);
            for (int c = 0; c < Channels; c++)
                RenderPlane(image.Slice(c * plane, plane), target.Slice(c * plane, plane), _tables[c], crops[r]);
        }
        return output;
    }

    /// <summary>A new set holding the images at <paramref name="positions"/> (copied), with the same transforms.</summary>
    public TensorImageSet Subset(IReadOnlyList<int> positions)
    {
        using var scope = NewDisposeScope();
        using var index = tensor(positions.Select(p => (long)p).ToArray(), ScalarType.Int64);
        var images = _images.index_select(0, index);
        return new TensorImageSet(images, positions.Select(p => _labels[p]).ToArray(), Normalization, Augmentation);
    }

    /// <summary>Releases the images.</summary>
    public void Dispose() => _images.Dispose();

    // Pointer loops: this runs per pixel, and also in unoptimised (Debug) builds, where span indexing is slow.
    private unsafe void RenderPlane(ReadOnlySpan<byte> input, Span<float> output, float[] table, CropFlip crop)
    {
        int h = Height, w = Width;
        float zero = table[0];
        fixed (byte* inputStart = input)
        fixed (float* outputStart = output)
        fixed (float* lut = table)
        {
            if (crop == CropFlip.Identity)
            {
                for (int i = 0; i < input.Length; i++)
                    outputStart[i] = lut[inputStart[i]];
                return;
            }
            // Output columns whose source column x' + ShiftX lies inside the image, x' = x or w - 1 - x.
            int first = Math.Max(0, -crop.ShiftX), last = Math.Min(w, w - crop.ShiftX); // range of x' (unflipped)
            int begin = crop.Flip ? w - last : first, end = crop.Flip ? w - first : last;  // range of x
            for (int y = 0; y < h; y++)
            {
                float* row = outputStart + y * w;
                int iy = y + crop.ShiftY;
                if ((uint)iy >= (uint)h || begin >= end)
                {
                    new Span<float>(row, w).Fill(zero);
                    continue;
                }
                byte* source = inputStart + iy * w;
                for (int x = 0; x < begin; x++)
                    row[x] = zero;
                if (crop.Flip)
                {
                    byte* mirrored = source + (w - 1 + crop.ShiftX); // x reads source[w - 1 - x + ShiftX]
                    for (int x = begin; x < end; x++)
                        row[x] = lut[mirrored[-x]];
                }
                else
                {
                    byte* shifted = source + crop.ShiftX;
                    for (int x = begin; x < end; x++)
                        row[x] = lut[shifted[x]];
                }
                for (int x = end; x < w; x++)
                    row[x] = zero;
            }
        }
    }
}
