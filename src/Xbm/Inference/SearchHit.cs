namespace Xbm.Inference;

/// <summary>One neighbour found by <see cref="EmbeddingIndex.Search(ReadOnlySpan{float}, int, int?)"/>.</summary>
/// <param name="Index">Its row in the index.</param>
/// <param name="Similarity">Cosine similarity to the query (the dot product of unit-length rows).</param>
/// <param name="Label">Its label (−1 when unknown).</param>
/// <param name="Path">Its image path, or null when the index has none.</param>
public sealed record SearchHit(int Index, float Similarity, long Label, string? Path);
