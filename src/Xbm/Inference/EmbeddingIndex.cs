using Xbm.Evaluation;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Inference;

/// <summary>
/// An in-memory, read-only index of embeddings with their labels and image paths, searched exactly (the chunked
/// k-NN of docs/design.md §5): the top k by similarity, best first, ties by lower row. Build it from embeddings or
/// load the files `xbm embed` writes. Holds a native tensor: dispose it.
/// </summary>
public sealed class EmbeddingIndex : IDisposable
{
    private readonly Tensor vectors;
    private readonly long[] labels;
    private readonly string[]? paths;

    /// <summary>Indexes <paramref name="embeddings"/>, with a label and a path per row when given.</summary>
    public EmbeddingIndex(EmbeddingMatrix embeddings, IReadOnlyList<long>? labels = null, IReadOnlyList<string>? paths = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (labels is not null && labels.Count != embeddings.Count)
            throw new ArgumentException($"{embeddings.Count} embeddings but {labels.Count} labels", nameof(labels));
        if (paths is not null && paths.Count != embeddings.Count)
            throw new ArgumentException($"{embeddings.Count} embeddings but {paths.Count} paths", nameof(paths));
        vectors = tensor(embeddings.Values, new long[] { embeddings.Count, embeddings.Dimension });
        this.labels = labels?.ToArray() ?? Enumerable.Repeat(-1L, embeddings.Count).ToArray();
        this.paths = paths?.ToArray();
    }

    private EmbeddingIndex(Tensor vectors, long[] labels, string[] paths)
    {
        this.vectors = vectors;
        this.labels = labels;
        this.paths = paths;
    }

    /// <summary>
    /// Loads an index written by `xbm embed`: <paramref name="vectorsPath"/> (.npy) and its labels and paths files
    /// (see <see cref="EmbeddingFiles"/>); errors name the file.
    /// </summary>
    public static EmbeddingIndex Load(string vectorsPath)
    {
        var (loaded, loadedLabels, loadedPaths) = EmbeddingFiles.For(vectorsPath).Read();
        return new EmbeddingIndex(loaded, loadedLabels, loadedPaths);
    }

    /// <summary>Number of rows.</summary>
    public int Count => (int)vectors.shape[0];

    /// <summary>Dimension of the rows.</summary>
    public int Dimension => (int)vectors.shape[1];

    /// <summary>The label of each row (−1 when unknown).</summary>
    public IReadOnlyList<long> Labels => labels;

    /// <summary>The image path of each row, or null.</summary>
    public IReadOnlyList<string>? Paths => paths;

    /// <summary>The embedding of row <paramref name="row"/>.</summary>
    public float[] Vector(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        using var view = vectors[row];
        return view.data<float>().ToArray();
    }

    /// <summary>The <paramref name="k"/> nearest rows of one query, without row <paramref name="exclude"/> (the query's own row) when given.</summary>
    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int k, int? exclude = null) =>
        Search(new EmbeddingMatrix(query.ToArray(), 1, query.Length), k, exclude is null ? null : [exclude])[0];

    /// <summary>
    /// The <paramref name="k"/> nearest rows of each query (fewer when the index is smaller), best first; query i
    /// leaves out row <paramref name="exclude"/>[i] when it is given and not null.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<SearchHit>> Search(EmbeddingMatrix queries, int k, IReadOnlyList<int?>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        if (queries.Dimension != Dimension)
            throw new ArgumentException($"the queries have {queries.Dimension} dimensions, the index {Dimension}", nameof(queries));
        if (exclude is not null && exclude.Count != queries.Count)
            throw new ArgumentException($"{queries.Count} queries but {exclude.Count} rows to exclude", nameof(exclude));
        if (queries.Count == 0)
            return [];
        bool excluding = exclude?.Any(e => e is not null) == true;
        int searched = Math.Min(k + (excluding ? 1 : 0), Count);
        using var q = tensor(queries.Values, new long[] { queries.Count, queries.Dimension });
        using var knn = Knn.Search(q, vectors, searched);
        var found = knn.Indices.data<long>().ToArray();
        var similarities = knn.Similarities.data<float>().ToArray();
        var results = new IReadOnlyList<SearchHit>[queries.Count];
        for (int i = 0; i < queries.Count; i++)
        {
            int? own = exclude?[i];
            results[i] = Enumerable.Range(0, searched)
                .Select(j => (Row: (int)found[i * searched + j], Similarity: similarities[i * searched + j]))
                .Where(n => n.Row != own).Take(k)
                .Select(n => new SearchHit(n.Row, n.Similarity, labels[n.Row], paths?[n.Row])).ToArray();
        }
        return results;
    }

    /// <inheritdoc />
    public void Dispose() => vectors.Dispose();
}
