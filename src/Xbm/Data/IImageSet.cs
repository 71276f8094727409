using static TorchSharp.torch;

namespace Xbm.Data;

/// <summary>
/// A labelled collection of images that the trainer and the embedder read by position. A set carries its
/// own transforms (training augmentation and test-time preprocessing).
/// </summary>
public interface IImageSet
{
    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>Label of each image (int64 class ids).</summary>
    IReadOnlyList<long> Labels { get; }

    /// <summary>
    /// Channels (C) of the images <see cref="Load"/> returns, as the set declares them (its format or
    /// preprocessing), known without decoding an image: the model's input channels.
    /// </summary>
    int Channels { get; }

    /// <summary>
    /// Loads the images at <paramref name="positions"/> as a float32 N×C×H×W CPU tensor (a clip set,
    /// <see cref="Clips.ClipImageSet"/>, returns N×T×C×H×W: T frames per clip, for a clip model). With
    /// <paramref name="augment"/> the training augmentation is applied, image r drawing its randomness from a
    /// generator derived from (<paramref name="seed"/>, r) only, so a batch is reproducible whatever the
    /// threading; without it the deterministic test-time preprocessing is applied.
    /// </summary>
    Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed);
}
