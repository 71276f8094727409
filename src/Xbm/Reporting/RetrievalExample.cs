namespace Xbm.Reporting;

/// <summary>One retrieved item of a <see cref="RetrievalExample"/>.</summary>
/// <param name="Index">Position in the searched set (the gallery, or the queries themselves in same-set protocols).</param>
/// <param name="Label">Its label.</param>
/// <param name="Similarity">Its similarity to the query.</param>
/// <param name="Path">Its image path (or "dataset:position").</param>
/// <param name="Correct">True when its label is the query's.</param>
public sealed record RetrievedItem(int Index, long Label, float Similarity, string Path, bool Correct);

/// <summary>A query with its nearest items, best first, for retrieval grids and reports.</summary>
/// <param name="Query">Position of the query in the protocol's query set.</param>
/// <param name="Label">The query's label.</param>
/// <param name="Path">The query's image path (or "dataset:position").</param>
/// <param name="Neighbours">The retrieved items, best first.</param>
public sealed record RetrievalExample(int Query, long Label, string Path, IReadOnlyList<RetrievedItem> Neighbours);
