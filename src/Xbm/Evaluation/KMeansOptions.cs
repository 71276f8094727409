namespace Xbm.Evaluation;

/// <summary>Options of <see cref="KMeans"/>.</summary>
public sealed record KMeansOptions
{
    /// <summary>Seed of the k-means++ initialisation (restart i uses a stream derived from it).</summary>
    public ulong Seed { get; init; }

    /// <summary>Upper bound on Lloyd iterations per restart.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>
    /// Stop when the summed squared movement of the centroids falls to this fraction of the data's mean
    /// per-dimension variance or below (sklearn's convention).
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Independent initialisations; the one with the lowest inertia wins (the first on ties).</summary>
    public int Restarts { get; init; } = 1;

    /// <summary>Points per chunk when assigning points to centroids (bounds the chunk × k distance block).</summary>
    public int ChunkSize { get; init; } = 4096;
}
