using Xbm.Runtime;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>
/// Exact k-nearest-neighbour search by similarity between queries (Q×d) and references (R×d). Queries and
/// references are processed in chunks: one matrix product per (query chunk, reference chunk) into a reused
/// block, whose rows update a running top-k, so the full Q×R matrix is never materialised and memory is bounded
/// by the block (QueryChunkSize × ReferenceChunkSize floats) plus the Q×k result.
/// <para>
/// Order of the neighbours: decreasing similarity; equal similarities are ordered by increasing reference index
/// (lower index first), whatever the chunk sizes. In same-set mode (no references given) the query itself is
/// excluded by index identity, not by similarity: an exact duplicate of the query is still a valid neighbour.
/// </para>
/// </summary>
public static partial class Knn
{
    /// <summary>
    /// The <paramref name="k"/> nearest references of every query, best first. With <paramref name="references"/>
    /// null the queries are searched against themselves, each query's own row excluded.
    /// </summary>
    /// <param name="queries">Q×d float tensor (any device; the work runs there).</param>
    /// <param name="references">R×d references, or null for the same-set mode.</param>
    /// <param name="k">Neighbours per query: 1 ≤ k ≤ R (R − 1 in same-set mode).</param>
    /// <param name="options">Chunk sizes, similarity and selection; defaults when null.</param>
    /// <returns>Q×k int64 indices and float32 similarities on the CPU.</returns>
    public static KnnResult Search(Tensor queries, Tensor? references, int k, KnnOptions? options = null)
    {
        options ??= new KnnOptions();
        if (options.QueryChunkSize < 1 || options.ReferenceChunkSize < 1)
            throw new ArgumentException($"chunk sizes must be positive (query {options.QueryChunkSize}, reference {options.ReferenceChunkSize})", nameof(options));
        bool sameSet = references is null;
        using var scope = NewDisposeScope();
        Validate(queries, "queries");
        if (references is not null)
        {
            Validate(references, "references");
            if (references.shape[1] != queries.shape[1])
                throw new ArgumentException($"queries have {queries.shape[1]} dimensions but references have {references.shape[1]}", nameof(references));
        }
        long queryCount = queries.shape[0];
        long referenceCount = references?.shape[0] ?? queryCount;
        if (referenceCount > int.MaxValue || queryCount > int.MaxValue)
            throw new ArgumentException("at most int.MaxValue queries and references are supported");
        long available = SelfExclusion.Available(referenceCount, sameSet);
        if (k < 1 || k > available)
            throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} must be between 1 and the {available} references available{(sameSet ? " (self excluded)" : "")}");

        var selection = options.Selection;
        if (selection == KnnSelection.Auto)
            selection = queries.device_type == DeviceType.CPU ? KnnSelection.Scan : KnnSelection.TorchTopK;
        if (selection == KnnSelection.Scan && queries.device_type != DeviceType.CPU)
            throw new ArgumentException($"KnnSelection.Scan needs CPU tensors; the queries are on {queries.device}", nameof(options));

        var q = Prepare(queries, options.Similarity, queries.device);
        var r = references is null ? q : Prepare(references, options.Similarity, queries.device);
        int queryChunk = (int)Math.Min(options.QueryChunkSize, queryCount);
        int referenceChunk = (int)Math.Min(options.ReferenceChunkSize, referenceCount);
        if ((long)queryChunk * referenceChunk > int.MaxValue / sizeof(float))
            throw new ArgumentException($"a {queryChunk}×{referenceChunk} similarity block exceeds 2 GiB; use smaller chunks", nameof(options));
        var indices = empty(queryCount, k, dtype: int64);
        var similarities = empty(queryCount, k, dtype: float32);
        Runtime.HugePages.Advise(indices);
        Runtime.HugePages.Advise(similarities);
        if (queryCount > 0)
        {
            using var block = empty((long)queryChunk * referenceChunk, dtype: float32, device: queries.device);
            Runtime.HugePages.Advise(block); // written and scanned by every block product: fewer TLB misses
            if (selection == KnnSelection.Scan && sameSet && UsesSymmetry(queryCount, k, options))
                SearchSymmetric(q, k, SymmetricChunk(options, queryCount), block, indices, similarities, options);
            else if (selection == KnnSelection.Scan)
                SearchByScan(q, r, sameSet, k, queryChunk, referenceChunk, block, indices, similarities, options);
            else
                SearchByTopK(q, r, sameSet, k, queryChunk, referenceChunk, block, indices, similarities, options);
        }
        return new KnnResult(indices.MoveToOuterDisposeScope(), similarities.MoveToOuterDisposeScope());
    }

    private static void Validate(Tensor x, string name)
    {
        if (x.dim() != 2)
            throw new ArgumentException($"{name} must be a 2-D N×d tensor, got [{string.Join(", ", x.shape)}]", name);
        if (!x.is_floating_point())
            throw new ArgumentException($"{name} must be floating point, got {x.dtype}", name);
        if (!x.isfinite().all().item<bool>())
            throw new ArgumentException($"{name} contain NaN or infinite values", name);
    }

    private static Tensor Prepare(Tensor x, KnnSimilarity similarity, Device device)
    {
        var y = x.to(float32, device).contiguous();
        if (similarity == KnnSimilarity.Cosine)
            y = nn.functional.normalize(y, p: 2, dim: 1);
        return y;
    }

    /// <summary>The block of similarities between one query chunk and one reference chunk, written in place.</summary>
    private static Tensor Similarities(Tensor block, Tensor queries, Tensor references, long rows, long columns)
    {
        var view = block.narrow(0, 0, rows * columns).view(rows, columns);
        view.addmm_(queries, references.t(), beta: 0, alpha: 1);
        return view;
    }

    private static unsafe void SearchByScan(Tensor q, Tensor r, bool sameSet, int k, int queryChunk, int referenceChunk,
        Tensor block, Tensor indices, Tensor similarities, KnnOptions options)
    {
        long queryCount = q.shape[0], referenceCount = r.shape[0];
        int threads = Math.Max(1, Environment.ProcessorCount);
        using var heaps = new RunningTopK(queryChunk, k);
        using var sample = ThresholdSample(r, k, options, out int rank);
        for (long q0 = 0; q0 < queryCount; q0 += queryChunk)
        {
            options.Cancel.ThrowIfCancellationRequested();
            int rows = (int)Math.Min(queryChunk, queryCount - q0);
            heaps.Reset(rows);
            using var queries = q.narrow(0, q0, rows);
            if (sample is not null)
                heaps.StartFrom(EstimatedThresholds(queries, sample, rank));
            for (long r0 = 0; r0 < referenceCount; r0 += referenceChunk)
            {
                int columns = (int)Math.Min(referenceChunk, referenceCount - r0);
                using var chunk = r.narrow(0, r0, columns);
                using var scores = Similarities(block, queries, chunk, rows, columns);
                fixed (byte* data = scores.bytes)
                    heaps.Offer((float*)data, rows, columns, (int)r0, sameSet, (int)q0, threads);
            }
            if (sample is not null)
                SearchShortRowsAgain(heaps, heaps.ShortRows(), queries, r, sameSet, (int)q0, referenceChunk);
            using var outIndices = indices.narrow(0, q0, rows);
            using var outSimilarities = similarities.narrow(0, q0, rows);
            fixed (byte* indexData = outIndices.bytes)
            fixed (byte* similarityData = outSimilarities.bytes)
                heaps.Drain((long*)indexData, (float*)similarityData, threads);
            options.Progress?.Invoke(q0 + rows, queryCount);
        }
    }

    /// <summary>
    /// The evenly spaced references whose similarities estimate each query's starting threshold, and the rank in the
    /// sample that leaves about ThresholdMargin × k of all references above it (one more for the query itself, which
    /// the sample may hold); null when the estimate is off or the references are too few to gain from it.
    /// </summary>
    private static Tensor? ThresholdSample(Tensor references, int k, KnnOptions options, out int rank)
    {
        long count = references.shape[0];
        int size = options.ThresholdSampleSize;
        rank = (int)Math.Ceiling(options.ThresholdMargin * k * size / count) + 1;
        if (options.ThresholdMargin <= 0 || size < 1 || count < 2L * size || rank >= size)
            return null;
        var positions = Enumerable.Range(0, size).Select(j => j * count / size).ToArray();
        using var index = tensor(positions, dtype: int64, device: references.device);
        return references.index_select(0, index);
    }

    /// <summary>
    /// Each query's <paramref name="rank"/>-th best similarity to the sample, as its starting threshold (selected by
    /// the same scan, which is several times faster here than torch.topk).
    /// </summary>
    private static unsafe float[] EstimatedThresholds(Tensor queries, Tensor sample, int rank)
    {
        using var scope = NewDisposeScope();
        int rows = (int)queries.shape[0], columns = (int)sample.shape[0];
        var scores = queries.matmul(sample.t()).contiguous().cpu();
        using var best = new RunningTopK(rows, rank);
        best.Reset(rows);
        var indices = new long[(long)rows * rank];
        var values = new float[(long)rows * rank];
        fixed (byte* data = scores.bytes)
            best.Offer((float*)data, rows, columns, 0, excludeSelf: false, firstQuery: 0, Environment.ProcessorCount);
        best.Drain(indices, values, Environment.ProcessorCount);
        return Enumerable.Range(0, rows).Select(row => values[(long)row * rank + rank - 1]).ToArray();
    }

    /// <summary>
    /// The queries whose estimated threshold left fewer than k references above it (<paramref name="rows"/>: list row
    /// i holds query <paramref name="firstQuery"/> + i, which is row i of <paramref name="queries"/>) are searched
    /// again from −∞, one reference chunk at a time, so the result is exact.
    /// </summary>
    private static unsafe void SearchShortRowsAgain(RunningTopK heaps, int[] rows, Tensor queries, Tensor r, bool sameSet, int firstQuery, int referenceChunk)
    {
        if (rows.Length == 0)
            return;
        using var scope = NewDisposeScope();
        foreach (int row in rows)
            heaps.ResetRow(row);
        using var index = tensor(rows.Select(row => (long)row).ToArray(), dtype: int64, device: queries.device);
        var selected = queries.index_select(0, index);
        long referenceCount = r.shape[0];
        for (long r0 = 0; r0 < referenceCount; r0 += referenceChunk)
        {
            int columns = (int)Math.Min(referenceChunk, referenceCount - r0);
            using var scores = selected.matmul(r.narrow(0, r0, columns).t()).contiguous().cpu();
            fixed (byte* data = scores.bytes)
                for (int i = 0; i < rows.Length; i++)
                {
                    long self = (long)firstQuery + rows[i] - r0;
                    int selfColumn = sameSet && self >= 0 && self < columns ? (int)self : -1;
                    heaps.OfferRow(rows[i], (float*)data + (long)i * columns, columns, (int)r0, selfColumn);
                }
        }
    }

    private static void SearchByTopK(Tensor q, Tensor r, bool sameSet, int k, int queryChunk, int referenceChunk,
        Tensor block, Tensor indices, Tensor similarities, KnnOptions options)
    {
        long queryCount = q.shape[0], referenceCount = r.shape[0];
        for (long q0 = 0; q0 < queryCount; q0 += queryChunk)
        {
            options.Cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            long rows = Math.Min(queryChunk, queryCount - q0);
            var queries = q.narrow(0, q0, rows);
            Tensor? bestValues = null, bestIndices = null;
            for (long r0 = 0; r0 < referenceCount; r0 += referenceChunk)
            {
                long columns = Math.Min(referenceChunk, referenceCount - r0);
                var scores = Similarities(block, queries, r.narrow(0, r0, columns), rows, columns);
                if (sameSet && q0 < r0 + columns && r0 < q0 + rows)
                    scores.diagonal(q0 - r0).fill_(Scalars.NegativeInfinity); // self, by index
                var (values, positions) = OrderedTopK(scores, (int)Math.Min(k, columns));
                using var offset = r0.ToScalar();
                positions.add_(offset, Scalars.One);
                if (bestValues is null)
                {
                    (bestValues, bestIndices) = (values, positions);
                    continue;
                }
                // The running list holds lower indices than this chunk: a stable sort keeps them first on ties.
                var allValues = cat(new[] { bestValues, values }, 1);
                var allIndices = cat(new[] { bestIndices!, positions }, 1);
                var (sorted, order) = allValues.sort(1, descending: true, stable: true);
                long keep = Math.Min(k, sorted.shape[1]);
                bestValues = sorted.narrow(1, 0, keep);
                bestIndices = allIndices.gather(1, order.narrow(1, 0, keep));
            }
            indices.narrow(0, q0, rows).copy_(bestIndices!);
            similarities.narrow(0, q0, rows).copy_(bestValues!);
            options.Progress?.Invoke(q0 + rows, queryCount);
        }
    }

    /// <summary>
    /// The top <paramref name="k"/> of each row of <paramref name="scores"/> ordered by (similarity descending, column
    /// ascending). torch.topk does not say which of several equal values it returns, so rows whose k-th and
    /// (k+1)-th values are equal are redone: every value above the k-th, then the lowest columns equal to it.
    /// </summary>
    private static (Tensor Values, Tensor Columns) OrderedTopK(Tensor scores, int k)
    {
        long columns = scores.shape[1];
        int take = (int)Math.Min(k + 1, columns);
        var (values, positions) = scores.topk(take, dim: 1, largest: true, sorted: true);
        if (take > k)
        {
            var tied = values.select(1, k - 1).eq(values.select(1, k));
            if (tied.any().item<bool>())
            {
                var rows = tied.nonzero().squeeze(1);
                var sub = scores.index_select(0, rows);
                var threshold = values.index_select(0, rows).narrow(1, k - 1, 1);
                var above = sub.gt(threshold);
                var equal = sub.eq(threshold);
                using var kScalar = k.ToScalar();
                var needed = above.sum(1, keepdim: true).neg().add_(kScalar, Scalars.One);
                var chosen = above.logical_or(equal.logical_and(equal.cumsum(1).le(needed)));
                var chosenColumns = chosen.nonzero().select(1, 1).view(rows.shape[0], k);
                values = values.narrow(1, 0, k).clone();
                positions = positions.narrow(1, 0, k).clone();
                values.index_copy_(0, rows, sub.gather(1, chosenColumns));
                positions.index_copy_(0, rows, chosenColumns);
            }
        }
        values = values.narrow(1, 0, k);
        positions = positions.narrow(1, 0, k);
        // Order by column, then stably by value: equal values end up with the lower column first.
        var (byColumn, columnOrder) = positions.sort(1);
        var (ordered, valueOrder) = values.gather(1, columnOrder).sort(1, descending: true, stable: true);
        return (ordered, byColumn.gather(1, valueOrder));
    }
}
