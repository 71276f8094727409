using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>Reads one query's row of a <see cref="RetrievalResults"/>.</summary>
/// <param name="query">The query's position.</param>
/// <param name="neighbours">Reference indices, best first (length = depth).</param>
/// <param name="similarities">Their similarities.</param>
public delegate void NeighbourRowAction(int query, ReadOnlySpan<long> neighbours, ReadOnlySpan<float> similarities);

/// <summary>
/// The one object that metrics, reports and search share: for each query its nearest references (indices and
/// similarities, best first, ties by lower reference index), the labels of both sides, and R, the number of
/// references sharing the query's label (the query itself excluded in same-set mode). Queries with R = 0 have no
/// correct answer: metrics exclude them and report how many there were. Owns its tensors.
/// </summary>
public sealed class RetrievalResults : IDisposable
{
    private readonly long[] _queryLabels;
    private readonly long[] _referenceLabels;
    private readonly int[] _relevantCounts;

    /// <summary>
    /// Wraps search results (taking ownership of the tensors). <paramref name="indices"/> (Q×depth int64) and
    /// <paramref name="similarities"/> (Q×depth float32) must be CPU tensors ordered best first.
    /// </summary>
    public RetrievalResults(Tensor indices, Tensor similarities, IReadOnlyList<long> queryLabels, IReadOnlyList<long> referenceLabels, bool sameSet)
    {
        if (indices.dim() != 2 || indices.dtype != int64 || indices.device_type != DeviceType.CPU)
            throw new ArgumentException($"indices must be a CPU int64 Q×depth tensor, got {indices.dtype} [{string.Join(", ", indices.shape)}] on {indices.device}", nameof(indices));
        if (similarities.dtype != float32 || similarities.device_type != DeviceType.CPU || !similarities.shape.SequenceEqual(indices.shape))
            throw new ArgumentException($"similarities must be a CPU float32 tensor shaped like the indices [{string.Join(", ", indices.shape)}]", nameof(similarities));
        if (queryLabels.Count != indices.shape[0])
            throw new ArgumentException($"{queryLabels.Count} query labels for {indices.shape[0]} queries", nameof(queryLabels));
        if (sameSet && referenceLabels.Count != queryLabels.Count)
            throw new ArgumentException("in same-set mode the references are the queries", nameof(referenceLabels));
        Indices = Own(indices);
        Similarities = Own(similarities);
        SameSet = sameSet;
        _queryLabels = queryLabels.ToArray();
        _referenceLabels = referenceLabels.ToArray();
        _relevantCounts = SelfExclusion.RelevantCounts(_queryLabels, _referenceLabels, sameSet);
        ExcludedQueries = _relevantCounts.LongCount(r => r == 0);
    }

    /// <summary>
    /// Searches <paramref name="queries"/> against <paramref name="references"/> (or against themselves, each query
    /// excluded from its own list, when null) and keeps, for each query, at least <paramref name="depth"/> neighbours
    /// and at least the largest R so that R-Precision and MAP@R are exact; never more than the references available.
    /// </summary>
    /// <param name="queries">Q×d embeddings.</param>
    /// <param name="queryLabels">Q labels.</param>
    /// <param name="references">R×d embeddings, or null for the same-set mode.</param>
    /// <param name="referenceLabels">Their labels (null in same-set mode).</param>
    /// <param name="depth">Neighbours wanted, usually the largest K of Recall@K.</param>
    /// <param name="options">k-NN chunking and similarity.</param>
    public static RetrievalResults Compute(Tensor queries, IReadOnlyList<long> queryLabels, Tensor? references, IReadOnlyList<long>? referenceLabels, int depth, KnnOptions? options = null)
    {
        if (queries.dim() != 2)
            throw new ArgumentException($"queries must be a 2-D N×d tensor, got [{string.Join(", ", queries.shape)}]", nameof(queries));
        if (queryLabels.Count != queries.shape[0])
            throw new ArgumentException($"{queryLabels.Count} query labels for {queries.shape[0]} queries", nameof(queryLabels));
        if ((references is null) != (referenceLabels is null))
            throw new ArgumentException("give both references and their labels, or neither (same-set mode)", nameof(referenceLabels));
        if (references is not null && referenceLabels!.Count != references.shape[0])
            throw new ArgumentException($"{referenceLabels.Count} reference labels for {references.shape[0]} references", nameof(referenceLabels));
        if (depth < 1)
            throw new ArgumentOutOfRangeException(nameof(depth), $"depth must be at least 1, got {depth}");
        bool sameSet = references is null;
        var refLabels = referenceLabels ?? queryLabels;
        long available = SelfExclusion.Available(refLabels.Count, sameSet);
        if (available < 1)
            throw new ArgumentException($"there are no references to search ({refLabels.Count} {(sameSet ? "items in the same set" : "references")})");
        int maxRelevant = SelfExclusion.RelevantCounts(queryLabels, refLabels, sameSet).DefaultIfEmpty(0).Max();
        int k = (int)Math.Min(Math.Max(depth, maxRelevant), available);
        var knn = Knn.Search(queries, references, k, options);
        return new RetrievalResults(knn.Indices, knn.Similarities, queryLabels, refLabels, sameSet);
    }

    /// <summary>Reference index of each query's neighbours, best first (Q×depth int64, CPU).</summary>
    public Tensor Indices { get; }

    /// <summary>Their similarities (Q×depth float32, CPU), non-increasing along each row.</summary>
    public Tensor Similarities { get; }

    /// <summary>True when the queries were searched against themselves (self excluded by index).</summary>
    public bool SameSet { get; }

    /// <summary>Labels of the queries.</summary>
    public IReadOnlyList<long> QueryLabels => _queryLabels;

    /// <summary>Labels of the references (the query labels in same-set mode).</summary>
    public IReadOnlyList<long> ReferenceLabels => _referenceLabels;

    /// <summary>For each query, R = number of references sharing its label (self excluded in same-set mode).</summary>
    public IReadOnlyList<int> RelevantCounts => _relevantCounts;

    /// <summary>Number of queries with R = 0 (no same-label reference): excluded from every metric.</summary>
    public long ExcludedQueries { get; }

    /// <summary>Number of queries.</summary>
    public int QueryCount => _queryLabels.Length;

    /// <summary>Number of references (the queries themselves in same-set mode).</summary>
    public int ReferenceCount => _referenceLabels.Length;

    /// <summary>References a query can retrieve: all of them, less itself in same-set mode.</summary>
    public int AvailableReferences => (int)SelfExclusion.Available(ReferenceCount, SameSet);

    /// <summary>Neighbours kept per query.</summary>
    public int Depth => (int)Indices.shape[1];

    /// <summary>The largest R over all queries.</summary>
    public int MaxRelevantCount => _relevantCounts.DefaultIfEmpty(0).Max();

    /// <summary>True when reference <paramref name="reference"/> has the label of query <paramref name="query"/>.</summary>
    public bool IsMatch(int query, long reference) => _referenceLabels[reference] == _queryLabels[query];

    /// <summary>Calls <paramref name="action"/> for every query with its row of neighbours, in query order.</summary>
    public void ForEachQuery(NeighbourRowAction action)
    {
        int depth = Depth;
        if (depth == 0)
            return;
        int rowsPerBlock = Math.Max(1, (1 << 26) / depth); // spans stay far below 2 GiB
        for (int start = 0; start < QueryCount; start += rowsPerBlock)
        {
            int rows = Math.Min(rowsPerBlock, QueryCount - start);
            using var indexBlock = Indices.narrow(0, start, rows);
            using var similarityBlock = Similarities.narrow(0, start, rows);
            var indices = MemoryMarshal.Cast<byte, long>(indexBlock.bytes);
            var similarities = MemoryMarshal.Cast<byte, float>(similarityBlock.bytes);
            for (int row = 0; row < rows; row++)
                action(start + row, indices.Slice(row * depth, depth), similarities.Slice(row * depth, depth));
        }
    }

    /// <summary>
    /// Checks that the kept neighbours are enough for a metric that reads the first <paramref name="ranks"/> of each
    /// query; ranks past the available references need no neighbours.
    /// </summary>
    public void RequireDepth(int ranks, string metric)
    {
        int needed = Math.Min(ranks, AvailableReferences);
        if (Depth < needed)
            throw new InvalidOperationException($"{metric} reads {needed} neighbours per query but the results keep {Depth}; compute them with a larger depth");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Indices.Dispose();
        Similarities.Dispose();
    }

    /// <summary>Takes a tensor out of any dispose scope (this object disposes it), contiguous.</summary>
    private static Tensor Own(Tensor tensor)
    {
        if (tensor.is_contiguous())
            return tensor.DetachFromDisposeScope();
        var copy = tensor.contiguous().DetachFromDisposeScope();
        tensor.Dispose();
        return copy;
    }
}
