namespace Xbm.Data;

/// <summary>
/// One retrieval protocol over held-out classes: queries searched against a gallery, or against themselves
/// (self excluded) when <see cref="Gallery"/> is null.
/// </summary>
/// <param name="Name">Protocol name, e.g. "test", "small", "query-gallery".</param>
/// <param name="Queries">The query images.</param>
/// <param name="Gallery">The gallery, or null to search the queries against themselves.</param>
/// <param name="RecallAt">The K values of Recall@K this protocol reports.</param>
public sealed record EvaluationSet(string Name, IImageSet Queries, IImageSet? Gallery, IReadOnlyList<int> RecallAt);
