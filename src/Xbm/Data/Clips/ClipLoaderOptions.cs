using Xbm.Data.Images;

namespace Xbm.Data.Clips;

/// <summary>Options of <see cref="ClipLoader"/>.</summary>
public sealed record ClipLoaderOptions
{
    /// <summary>Frames per clip N (segments; TRN's default is 8).</summary>
    public int Segments { get; init; } = 8;

    /// <summary>Clips shorter than <see cref="Segments"/> repeat frames (see <see cref="SegmentSampling"/>) instead of failing.</summary>
    public bool RepeatShortClips { get; init; }

    /// <summary>Preprocessing and augmentation of every frame; a clip's frames share one random crop and flip.</summary>
    public ImageTransformOptions Transform { get; init; } = ImageTransformOptions.ImageNet;

    /// <summary>Training batches are augmented (random crop and flip per clip); false keeps the test preprocessing.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>Decoding threads per batch (1: the calling thread only).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
}
