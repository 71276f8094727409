using static TorchSharp.torch;

namespace Xbm.Data.Clips;

/// <summary>
/// Clips as an <see cref="IImageSet"/>: an item is a clip, and <see cref="Load"/> returns [B, N, C, H, W] (the one
/// exception to the set contract's B×C×H×W, which the clip model of <see cref="Models.EmbeddingModel"/> reads).
/// With augment, each clip samples a random frame per segment and one crop and flip for all its frames; without,
/// the centre frame of each segment and the test preprocessing (<see cref="ClipLoader"/>).
/// </summary>
public sealed class ClipImageSet : IImageSet
{
    private readonly ClipLoader _loader;

    /// <summary>Wraps <paramref name="loader"/>.</summary>
    public ClipImageSet(ClipLoader loader)
    {
        ArgumentNullException.ThrowIfNull(loader);
        _loader = loader;
    }

    /// <summary>The loader.</summary>
    public ClipLoader Loader => _loader;

    /// <summary>Frames per clip N.</summary>
    public int Segments => _loader.Options.Segments;

    /// <inheritdoc />
    public int Count => _loader.Count;

    /// <inheritdoc />
    public IReadOnlyList<long> Labels => _loader.Labels;

    /// <inheritdoc />
    public int Channels => 3;

    /// <inheritdoc />
    public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed) => _loader.Load(positions, augment, seed);
}
