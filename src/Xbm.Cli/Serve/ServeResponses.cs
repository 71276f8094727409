namespace Xbm.Cli.Serve;

/// <summary>GET /api/health: the model and the index the service answers with.</summary>
/// <param name="Status">"ok".</param>
/// <param name="Model">The model: checkpoint folder or .onnx file.</param>
/// <param name="Backend">"onnxruntime" or "torchsharp".</param>
/// <param name="Items">Items in the index.</param>
/// <param name="Dimension">Embedding dimension.</param>
/// <param name="Labelled">True when the index items carry labels.</param>
/// <param name="MaxK">The largest k a search takes.</param>
/// <param name="MaxUploadBytes">The largest upload.</param>
/// <param name="MaxPixels">The largest image in pixels.</param>
public sealed record HealthReport(string Status, string Model, string Backend, int Items, int Dimension, bool Labelled, int MaxK,
    long MaxUploadBytes, long MaxPixels);

/// <summary>One index item as the page shows it.</summary>
/// <param name="Id">Its item number (row of the index).</param>
/// <param name="Label">Its label, or null when unknown.</param>
/// <param name="LabelName">The class name of the label, or null.</param>
/// <param name="Thumbnail">The URL of its thumbnail.</param>
public sealed record ItemView(int Id, long? Label, string? LabelName, string Thumbnail);

/// <summary>One neighbour of a search.</summary>
/// <param name="Rank">1 for the nearest.</param>
/// <param name="Id">Its item number.</param>
/// <param name="Similarity">Cosine similarity to the query.</param>
/// <param name="Label">Its label, or null when unknown.</param>
/// <param name="LabelName">The class name of the label, or null.</param>
/// <param name="SameLabel">Whether it shares the query's label; null when either label is unknown.</param>
/// <param name="Thumbnail">The URL of its thumbnail.</param>
public sealed record HitView(int Rank, int Id, float Similarity, long? Label, string? LabelName, bool? SameLabel, string Thumbnail);

/// <summary>POST /api/search and GET /api/search/item/{id}: the query and its neighbours, best first.</summary>
/// <param name="Query">The query item, or null for an uploaded image.</param>
/// <param name="K">The k asked for (fewer hits when the index is smaller).</param>
/// <param name="Hits">The neighbours.</param>
public sealed record SearchView(ItemView? Query, int K, IReadOnlyList<HitView> Hits);

/// <summary>POST /api/embed: the embedding of the uploaded image.</summary>
/// <param name="Dimension">Its dimension.</param>
/// <param name="Embedding">The unit-length vector.</param>
public sealed record EmbedView(int Dimension, float[] Embedding);

/// <summary>GET /api/items: a page of index items.</summary>
/// <param name="Total">Items in the index.</param>
/// <param name="Offset">The first item of the page.</param>
/// <param name="Items">The items.</param>
public sealed record ItemsView(int Total, int Offset, IReadOnlyList<ItemView> Items);
