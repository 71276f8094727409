using TorchSharp;
using Xbm.Data;
using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>Runs a model over an image set in batches to get its embeddings.</summary>
public static class Embedder
{
    /// <summary>
    /// Embeds every image of <paramref name="set"/> (test-time preprocessing, no augmentation) with
    /// <paramref name="model"/> in evaluation mode and without gradients, restoring the model's previous
    /// training mode afterwards.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="set">The images.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="device">Compute device.</param>
    /// <param name="progress">Called after each batch with (images embedded, total), or null.</param>
    /// <param name="cancel">Checked before each batch; a request throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>An N×d float32 CPU tensor, row i for image i.</returns>
    public static Tensor Embed(nn.Module<Tensor, Tensor> model, IImageSet set, int batchSize, Device device,
        Action<long, long>? progress = null, CancellationToken cancel = default)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at least 1, got {batchSize}");
        int count = set.Count;
        if (count == 0)
            throw new ArgumentException("the image set is empty: nothing to embed", nameof(set));
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            Tensor? result = null;
            for (int start = 0; start < count; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int size = Math.Min(batchSize, count - start);
                var positions = Enumerable.Range(start, size).ToArray();
                var images = set.Load(positions, augment: false, seed: 0);
                var output = model.forward(images.to(device));
                if (output.dim() != 2 || output.shape[0] != size)
                    throw new InvalidOperationException($"the model returned [{string.Join(", ", output.shape)}] for a batch of {size} images; expected {size}×d");
                if (result is null)
                    result = empty(count, output.shape[1], dtype: float32).MoveToOuterDisposeScope();
                else if (output.shape[1] != result.shape[1])
                    throw new InvalidOperationException($"the model returned {output.shape[1]} dimensions after {result.shape[1]}");
                result.narrow(0, start, size).copy_(output.to(float32).cpu());
                progress?.Invoke(start + size, count);
            }
            return result!;
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
