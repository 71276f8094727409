using static TorchSharp.torch;

namespace Xbm.Evaluation;

// The same-set search that computes each block of S = X·Xᵀ once. S is symmetric, so the block of chunks (I, J) with
// I < J is also the transpose of block (J, I): its rows go to the lists of chunk I and its columns to the lists of
// chunk J (RunningTopK.OfferColumns). That halves the products. Every list must see its references in increasing
// order (the tie rule): chunk J's lists receive chunks 0…J−1 as columns (while I runs from 0 to J − 1), then
// chunks J…n as rows (when I = J), so blocks are taken with I ascending and, for each I, J ascending from I.
// The price is that every query's candidate list lives until its chunk is done: N × 2k keys of 8 bytes, which
// KnnOptions.SymmetricCandidateBytes bounds.
public static partial class Knn
{
    /// <summary>Whether the same-set scan may compute each block once: at least two chunks, and the candidate lists within the budget.</summary>
    private static bool UsesSymmetry(long queryCount, int k, KnnOptions options) =>
        options.SymmetricCandidateBytes > 0
        && queryCount > SymmetricChunk(options, queryCount)
        && queryCount * 2L * k * sizeof(ulong) <= options.SymmetricCandidateBytes;

    /// <summary>The square chunk of the symmetric search: the smaller chunk size, so its block fits the buffer.</summary>
    private static int SymmetricChunk(KnnOptions options, long queryCount) =>
        (int)Math.Min(Math.Min(options.QueryChunkSize, options.ReferenceChunkSize), queryCount);

    private static unsafe void SearchSymmetric(Tensor x, int k, int chunk, Tensor block, Tensor indices, Tensor similarities, KnnOptions options)
    {
        int count = (int)x.shape[0];
        int threads = Math.Max(1, Environment.ProcessorCount);
        using var lists = new RunningTopK(count, k);
        lists.Reset(count);
        using (var sample = ThresholdSample(x, k, options, out int rank))
        {
            if (sample is not null)
                for (int start = 0; start < count; start += chunk)
                {
                    using var queries = x.narrow(0, start, Math.Min(chunk, count - start));
                    lists.StartFrom(EstimatedThresholds(queries, sample, rank), start);
                }
        }
        for (int i0 = 0; i0 < count; i0 += chunk)
        {
            options.Cancel.ThrowIfCancellationRequested();
            int rows = Math.Min(chunk, count - i0);
            using var queries = x.narrow(0, i0, rows);
            for (int j0 = i0; j0 < count; j0 += chunk)
            {
                int columns = Math.Min(chunk, count - j0);
                using var references = x.narrow(0, j0, columns);
                using var scores = Similarities(block, queries, references, rows, columns);
                fixed (byte* data = scores.bytes)
                {
                    lists.Offer((float*)data, rows, columns, j0, excludeSelf: j0 == i0, firstQuery: i0, threads, firstRow: i0);
                    if (j0 != i0)
                        lists.OfferColumns((float*)data, rows, columns, firstReference: i0, firstRow: j0, threads);
                }
            }
            // Chunk I's lists have now seen every reference, in increasing order.
            SearchShortRowsAgain(lists, lists.ShortRows(i0, rows), x, x, sameSet: true, firstQuery: 0, chunk);
            using var outIndices = indices.narrow(0, i0, rows);
            using var outSimilarities = similarities.narrow(0, i0, rows);
            fixed (byte* indexData = outIndices.bytes)
            fixed (byte* similarityData = outSimilarities.bytes)
                lists.Drain(i0, rows, (long*)indexData, (float*)similarityData, threads);
            options.Progress?.Invoke(i0 + rows, count);
        }
    }
}
