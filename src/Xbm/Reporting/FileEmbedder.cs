using Xbm.Data;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Reporting;

/// <summary>
/// Embeds image files in batches with a run's model, each preprocessed like a dataset split's images at test
/// time (see <see cref="QueryImages"/>), for `xbm embed --images` and `xbm search --query`.
/// </summary>
public static class FileEmbedder
{
    /// <summary>
    /// Embeds <paramref name="paths"/> into an N×d float32 CPU tensor (the caller owns it). A file that cannot be
    /// read fails with a message starting with its <paramref name="sources"/> entry (e.g. "list.txt:7") when given.
    /// </summary>
    public static Tensor Embed(EmbeddingModel model, IImageSet like, IReadOnlyList<string> paths, int batchSize, Device device, IReadOnlyList<string>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(paths);
        if (batchSize < 1)
            throw new ArgumentException($"batch size must be at least 1, got {batchSize}", nameof(batchSize));
        model.eval();
        using var noGrad = no_grad();
        var result = empty(paths.Count, model.Dimension, dtype: ScalarType.Float32);
        try
        {
            for (int start = 0; start < paths.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int size = Math.Min(batchSize, paths.Count - start);
                var images = new Tensor[size];
                for (int i = 0; i < size; i++)
                    images[i] = LoadOne(paths[start + i], like, sources?[start + i]);
                var batch = cat(images, 0);
                result.narrow(0, start, size).copy_(model.forward(batch.to(device)).to(ScalarType.Float32).cpu());
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    private static Tensor LoadOne(string path, IImageSet like, string? source)
    {
        try
        {
            return QueryImages.Load(path, like);
        }
        catch (InvalidDataException e) when (source is not null && source != path)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }
}
