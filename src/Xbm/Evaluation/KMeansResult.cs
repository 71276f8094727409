using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>The outcome of <see cref="KMeans.Fit"/>. Owns <see cref="Centroids"/>.</summary>
public sealed class KMeansResult : IDisposable
{
    internal KMeansResult(long[] assignments, Tensor centroids, double inertia, int iterations, bool converged)
    {
        Assignments = assignments;
        Centroids = centroids.DetachFromDisposeScope();
        Inertia = inertia;
        Iterations = iterations;
        Converged = converged;
    }

    /// <summary>The cluster (0 … k−1) of each point.</summary>
    public IReadOnlyList<long> Assignments { get; }

    /// <summary>k×d float32 centroids on the CPU.</summary>
    public Tensor Centroids { get; }

    /// <summary>Sum of squared distances of the points to their centroids.</summary>
    public double Inertia { get; }

    /// <summary>Lloyd iterations run by the winning restart.</summary>
    public int Iterations { get; }

    /// <summary>True when the winning restart met the tolerance before the iteration limit.</summary>
    public bool Converged { get; }

    /// <inheritdoc />
    public void Dispose() => Centroids.Dispose();
}
