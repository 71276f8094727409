using System.Collections.Concurrent;
using System.Globalization;
using Xbm.Cli.Commands;
using Xbm.Data.Images;
using Xbm.Inference;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Cli.Serve;

/// <summary>
/// The model and the read-only index behind the service, through the inference API (<see cref="ImageEmbedder"/>,
/// <see cref="EmbeddingIndex"/>). Safe for concurrent requests: a TorchSharp model runs one request at a time (its
/// modules are not thread-safe), an ONNX model runs them concurrently (InferenceSession.Run is); the index search
/// runs one at a time. Thumbnails are read only from the image paths the index recorded, chosen by item number.
/// </summary>
public sealed class SearchService : IDisposable
{
    private const int CachedThumbnails = 1024;
    private readonly ImageEmbedder embedder;
    private readonly EmbeddingIndex index;
    private readonly ServeOptions options;
    private readonly Lock modelLock = new();
    private readonly Lock indexLock = new();
    private readonly ConcurrentDictionary<int, byte[]> thumbnails = new();

    private SearchService(ImageEmbedder embedder, EmbeddingIndex index, ServeOptions options, IReadOnlyDictionary<long, string>? classNames, string vectorsPath)
    {
        this.embedder = embedder;
        this.index = index;
        this.options = options;
        ClassNames = classNames;
        VectorsPath = vectorsPath;
    }

    /// <summary>The index's vectors file.</summary>
    public string VectorsPath { get; }

    /// <summary>Class names by label (the index's record, else the run's), or null.</summary>
    public IReadOnlyDictionary<long, string>? ClassNames { get; }

    /// <summary>Items in the index.</summary>
    public int Count => index.Count;

    /// <summary>
    /// Loads the model and the index and checks they belong together (the index's record names the model's
    /// weights; the dimensions agree). Errors name the file.
    /// </summary>
    public static SearchService Open(ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!Directory.Exists(options.Index) && !options.Index.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new FileNotFoundException($"--index {options.Index}: no such folder (give the folder `xbm embed --out DIR/vectors.npy` wrote, or its .npy file)", options.Index);
        var files = EmbeddingFiles.For(options.VectorsPath);
        var info = files.ReadInfo();
        var index = EmbeddingIndex.Load(files.VectorsPath);
        ImageEmbedder? embedder = null;
        try
        {
            if (index.Count == 0)
                throw new InvalidDataException($"{files.VectorsPath}: the index is empty");
            embedder = ImageEmbedder.Load(options.Model, new EmbedderOptions { Device = options.Device, Overrides = options.Overrides });
            if (info is not null)
                SearchCommand.CheckSameModel(info, files.InfoPath, embedder.Source, embedder.ModelHash, embedder.IsOnnx ? "--onnx" : "--checkpoint");
            if (index.Dimension != embedder.Dimension)
                throw new InvalidDataException($"{files.VectorsPath}: holds {index.Dimension}-dimensional vectors but {embedder.Source} embeds to {embedder.Dimension}; embed the index with this model");
            return new SearchService(embedder, index, options, info?.ClassNames ?? embedder.ClassNames, files.VectorsPath);
        }
        catch
        {
            embedder?.Dispose();
            index.Dispose();
            throw;
        }
    }

    /// <summary>The health report.</summary>
    public HealthReport Health() => new("ok", embedder.Source, embedder.IsOnnx ? "onnxruntime" : "torchsharp", index.Count, index.Dimension,
        index.Labels.Any(l => l >= 0), ServeOptions.MaxK, options.MaxUploadBytes, options.MaxPixels);

    /// <summary>Embeds encoded image bytes (checked by <see cref="ImageLimits"/>); a file the model cannot take is a 400 naming the field.</summary>
    public float[] Embed(byte[] encoded)
    {
        float[] input;
        try
        {
            input = embedder.Preprocessing.Load(encoded, UploadReader.Field);
        }
        catch (InvalidDataException e)
        {
            throw new ApiError(400, UploadReader.Field, e.Message);
        }
        using var scope = NewDisposeScope();
        if (embedder.IsOnnx)
            return embedder.Embed(input, 1).Values;
        lock (modelLock)
            return embedder.Embed(input, 1).Values;
    }

    /// <summary>The <paramref name="k"/> nearest items of <paramref name="query"/>, without item <paramref name="exclude"/> when given.</summary>
    public SearchView Search(float[] query, int k, int? exclude = null)
    {
        IReadOnlyList<SearchHit> hits;
        int depth = Math.Min(k, index.Count - (exclude is null ? 0 : 1));
        if (depth < 1)
            return new SearchView(exclude is { } self ? Item(self) : null, k, []);
        using (var scope = NewDisposeScope())
            lock (indexLock)
                hits = index.Search(query, depth, exclude);
        long? queryLabel = exclude is { } own && index.Labels[own] >= 0 ? index.Labels[own] : null;
        var views = hits.Select((h, i) => new HitView(i + 1, h.Index, h.Similarity, Label(h.Index), LabelName(h.Index),
            queryLabel is null || h.Label < 0 ? null : h.Label == queryLabel, ThumbnailUrl(h.Index))).ToArray();
        return new SearchView(exclude is { } item ? Item(item) : null, k, views);
    }

    /// <summary>The nearest items of index item <paramref name="id"/>, itself left out.</summary>
    public SearchView SearchItem(int id, int k)
    {
        float[] vector;
        lock (indexLock)
            vector = index.Vector(id);
        return Search(vector, k, id);
    }

    /// <summary>Item <paramref name="id"/> as the page shows it.</summary>
    public ItemView Item(int id) => new(id, Label(id), LabelName(id), ThumbnailUrl(id));

    /// <summary>
    /// The item number that <paramref name="given"/> (a route value) names: decimal digits only, within the index;
    /// else a 400 (not a number) or 404 (no such item) naming "id".
    /// </summary>
    public int ParseId(string? given)
    {
        given ??= "";
        if (given.Length == 0 || given.Length > 10 || !given.All(char.IsAsciiDigit)
            || !int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            throw new ApiError(400, "id", $"id '{Shorten(given)}': expected an item number from 0 to {index.Count - 1}");
        if (id >= index.Count)
            throw ApiError.UnknownItem(given, index.Count);
        return id;
    }

    /// <summary>
    /// A PNG thumbnail (longer side at most <see cref="ServeOptions.ThumbnailSide"/>) of item <paramref name="id"/>'s
    /// image, the path the index recorded; a missing, unreadable or oversized file is a 404 (the message names the item, not the path).
    /// </summary>
    public byte[] Thumbnail(int id)
    {
        if (thumbnails.TryGetValue(id, out var cached))
            return cached;
        string path = index.Paths?[id] ?? throw new ApiError(404, "id", $"item {id}: the index records no image path");
        byte[] encoded;
        try
        {
            encoded = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ApiError(404, "id", $"item {id}: its image cannot be read");
        }
        try
        {
            ImageLimits.Check(encoded, options.MaxPixels, "image");
        }
        catch (ApiError e)
        {
            throw new ApiError(404, "id", $"item {id}: its image cannot be shown ({e.Message})");
        }
        RgbImage image;
        try
        {
            image = ImageDecoder.Decode(encoded, $"item {id}");
        }
        catch (InvalidDataException)
        {
            throw new ApiError(404, "id", $"item {id}: its image cannot be decoded");
        }
        int side = options.ThumbnailSide;
        double scale = Math.Min(1.0, (double)side / Math.Max(image.Width, image.Height));
        if (scale < 1)
            image = Resampler.Resize(image, Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale)));
        var png = ImageDecoder.EncodePng(image);
        if (thumbnails.Count < CachedThumbnails)
            thumbnails.TryAdd(id, png);
        return png;
    }

    /// <summary>The URL of item <paramref name="id"/>'s thumbnail.</summary>
    public static string ThumbnailUrl(int id) => "/api/thumbnail/" + id.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose()
    {
        embedder.Dispose();
        index.Dispose();
    }

    private long? Label(int id) => index.Labels[id] >= 0 ? index.Labels[id] : null;

    private string? LabelName(int id) =>
        index.Labels[id] >= 0 && ClassNames is not null && ClassNames.TryGetValue(index.Labels[id], out var name) ? name : null;

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
