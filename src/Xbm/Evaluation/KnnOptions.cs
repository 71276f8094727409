namespace Xbm.Evaluation;

/// <summary>How <see cref="Knn"/> scores a query against a reference.</summary>
public enum KnnSimilarity
{
    /// <summary>The dot product q · r (the cosine when rows are already L2-normalised, as model embeddings are).</summary>
    Dot,

    /// <summary>The cosine: rows are L2-normalised (in a copy) before the dot product.</summary>
    Cosine,
}

/// <summary>How <see cref="Knn"/> keeps the running top-k of each query.</summary>
public enum KnnSelection
{
    /// <summary><see cref="Scan"/> for CPU tensors, <see cref="TorchTopK"/> on other devices.</summary>
    Auto,

    /// <summary>
    /// A vectorised scan of each similarity block against the query's current k-th best value with a small heap
    /// per query (CPU only). One pass over the block, ties broken by construction.
    /// </summary>
    Scan,

    /// <summary>torch.topk on each block with an explicit tie fix-up and a stable merge (any device).</summary>
    TorchTopK,
}

/// <summary>Options of <see cref="Knn"/>: chunk sizes bound the memory (one QueryChunkSize × ReferenceChunkSize float32 block).</summary>
public sealed record KnnOptions
{
    /// <summary>Queries per chunk. Large chunks mean fewer passes over the references.</summary>
    public int QueryChunkSize { get; init; } = 4096;

    /// <summary>References per chunk. The similarity block is QueryChunkSize × ReferenceChunkSize floats (128 MiB by default).</summary>
    public int ReferenceChunkSize { get; init; } = 8192;

    /// <summary>Dot product (default; embeddings are L2-normalised) or cosine.</summary>
    public KnnSimilarity Similarity { get; init; } = KnnSimilarity.Dot;

    /// <summary>How the running top-k is kept; both ways give identical results.</summary>
    public KnnSelection Selection { get; init; } = KnnSelection.Auto;

    /// <summary>
    /// The scan's starting threshold (<see cref="KnnSelection.Scan"/>): each query starts from an estimate of its k-th
    /// best similarity, taken from <see cref="ThresholdSampleSize"/> evenly spaced references so that about
    /// ThresholdMargin × k similarities are expected above it, instead of from −∞; the scan then inserts few candidates
    /// that it later drops. A query with fewer than k similarities above its estimate is searched again from −∞, so
    /// the result is exact whatever the data. 0 turns the estimate off.
    /// </summary>
    public double ThresholdMargin { get; init; } = 1.6;

    /// <summary>References sampled for <see cref="ThresholdMargin"/>'s estimate (used when there are at least twice as many).</summary>
    public int ThresholdSampleSize { get; init; } = 1024;

    /// <summary>
    /// In the same-set scan (no references given), S = X·Xᵀ is symmetric: each block is computed once and offered by
    /// rows and by columns, which halves the products. Every query's candidate list (2k keys of 8 bytes) then lives
    /// until its chunk is done, so this is done only when N × 2k × 8 bytes is at most this budget (default 1 GiB;
    /// 0 turns it off). Both ways give identical results.
    /// </summary>
    public long SymmetricCandidateBytes { get; init; } = 1L << 30;

    /// <summary>Receives (queries searched, total) after each query chunk; null = silent.</summary>
    public Action<long, long>? Progress { get; init; }

    /// <summary>Checked before each query chunk; a request throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancel { get; init; }
}
