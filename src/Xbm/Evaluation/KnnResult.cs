using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>
/// The k nearest references of each query, best first: <see cref="Indices"/> (Q×k int64) and
/// <see cref="Similarities"/> (Q×k float32), both on the CPU. Owns its tensors.
/// </summary>
public sealed class KnnResult : IDisposable
{
    /// <summary>Wraps the two tensors, taking ownership (they leave any dispose scope).</summary>
    public KnnResult(Tensor indices, Tensor similarities)
    {
        if (indices.dim() != 2 || similarities.dim() != 2 || indices.shape[0] != similarities.shape[0] || indices.shape[1] != similarities.shape[1])
            throw new ArgumentException($"indices [{string.Join(", ", indices.shape)}] and similarities [{string.Join(", ", similarities.shape)}] must be two Q×k matrices");
        Indices = indices.DetachFromDisposeScope();
        Similarities = similarities.DetachFromDisposeScope();
    }

    /// <summary>Reference index of the j-th nearest neighbour of query i (Q×k int64).</summary>
    public Tensor Indices { get; }

    /// <summary>Similarity of that neighbour (Q×k float32), non-increasing along each row.</summary>
    public Tensor Similarities { get; }

    /// <summary>Number of queries Q.</summary>
    public int QueryCount => (int)Indices.shape[0];

    /// <summary>Neighbours per query k.</summary>
    public int K => (int)Indices.shape[1];

    /// <inheritdoc />
    public void Dispose()
    {
        Indices.Dispose();
        Similarities.Dispose();
    }
}
