namespace Xbm.Data.Manifest;

/// <summary>
/// A test protocol of a manifest: the queries' part searched against the gallery's part, or against itself
/// (self excluded) when <see cref="Gallery"/> is null, reporting Recall@K for <see cref="RecallAt"/>.
/// </summary>
/// <param name="Name">Protocol name ("test", "query-gallery", "small", ...).</param>
/// <param name="Queries">The queries' part.</param>
/// <param name="Gallery">The gallery's part, or null for self-retrieval.</param>
/// <param name="RecallAt">The K values of Recall@K.</param>
public sealed record RetrievalProtocol(string Name, ManifestPart Queries, ManifestPart? Gallery, IReadOnlyList<int> RecallAt);
