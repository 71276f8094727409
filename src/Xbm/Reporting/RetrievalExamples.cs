using Xbm.Data;
using Xbm.Evaluation;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Reporting;

/// <summary>
/// Picks a few seeded queries of an evaluation protocol and finds their nearest items with a model: the whole
/// searched set (gallery, or the queries themselves) is embedded, the chosen queries are searched with the exact
/// k-NN (<see cref="Knn"/>), and in same-set protocols the query itself is left out (<see cref="SelfExclusion"/>, as in evaluation).
/// </summary>
public static class RetrievalExamples
{
    /// <summary>
    /// The <paramref name="k"/> nearest items of <paramref name="count"/> queries drawn with <paramref name="seed"/>
    /// among the queries that have at least one correct answer, in increasing query position.
    /// </summary>
    public static IReadOnlyList<RetrievalExample> Compute(nn.Module<Tensor, Tensor> model, EvaluationSet set, string dataset, Device device,
        int batchSize, int count, int k, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        using var scope = NewDisposeScope();
        var queries = Embedder.Embed(model, set.Queries, batchSize, device);
        var gallery = set.Gallery is null ? null : Embedder.Embed(model, set.Gallery, batchSize, device);
        return Search(queries, set.Queries.Labels, gallery, set.Gallery?.Labels,
            i => ImagePaths.Of(set.Queries, i, dataset), i => ImagePaths.Of(set.Gallery ?? set.Queries, i, dataset), count, k, seed);
    }

    /// <summary>
    /// The same on given embeddings (Q×d queries; G×d gallery or null for same-set search), naming items with
    /// <paramref name="queryPath"/> and <paramref name="referencePath"/>.
    /// </summary>
    public static IReadOnlyList<RetrievalExample> Search(Tensor queries, IReadOnlyList<long> queryLabels, Tensor? gallery, IReadOnlyList<long>? galleryLabels,
        Func<int, string> queryPath, Func<int, string> referencePath, int count, int k, ulong seed)
    {
        bool sameSet = gallery is null;
        var referenceLabels = galleryLabels ?? queryLabels;
        var relevant = SelfExclusion.RelevantCounts(queryLabels, referenceLabels, sameSet);
        var answerable = Enumerable.Range(0, queryLabels.Count).Where(i => relevant[i] > 0).ToList();
        if (answerable.Count == 0)
            return Array.Empty<RetrievalExample>();
        SeededRandom.Derive(seed, 0x621D).Shuffle(answerable);
        var chosen = answerable.Take(count).Order().ToArray();
        int depth = (int)Math.Min(k, SelfExclusion.Available(referenceLabels.Count, sameSet));
        if (depth < 1)
            return Array.Empty<RetrievalExample>();

        using var scope = NewDisposeScope();
        using var index = tensor(chosen.Select(i => (long)i).ToArray(), ScalarType.Int64);
        var selected = queries.index_select(0, index.to(queries.device));
        // Same-set: search the whole set with one extra neighbour and drop the query's own row (SelfExclusion, as in evaluation).
        using var knn = Knn.Search(selected, sameSet ? queries : gallery, sameSet ? depth + 1 : depth);
        var indices = knn.Indices.data<long>().ToArray();
        var similarities = knn.Similarities.data<float>().ToArray();
        var examples = new List<RetrievalExample>();
        for (int row = 0; row < chosen.Length; row++)
        {
            int q = chosen[row];
            var neighbours = new List<RetrievedItem>();
            for (int j = 0; j < knn.K && neighbours.Count < depth; j++)
            {
                int reference = (int)indices[row * knn.K + j];
                if (SelfExclusion.IsSelf(sameSet, q, reference))
                    continue;
                long label = referenceLabels[reference];
                neighbours.Add(new RetrievedItem(reference, label, similarities[row * knn.K + j], referencePath(reference), label == queryLabels[q]));
            }
            examples.Add(new RetrievalExample(q, queryLabels[q], queryPath(q), neighbours));
        }
        return examples;
    }
}
