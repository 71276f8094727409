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

    /// <summary>
    /// Loads batch entries <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1 of
    /// <paramref name="positions"/>, exactly as <see cref="Load"/> renders them within the whole batch (entry r still
    /// draws from (<paramref name="seed"/>, r)): a data-parallel rank's slice (docs/design.md §10). This default
    /// renders the whole batch and cuts the slice out; sets that can render entries alone override it.
    /// </summary>
    Tensor LoadSlice(IReadOnlyList<int> positions, int first, int count, bool augment, ulong seed)
    {
        BatchSlice.Check(positions, first, count);
        using var whole = Load(positions, augment, seed);
        return whole.narrow(0, first, count).clone();
    }
}
