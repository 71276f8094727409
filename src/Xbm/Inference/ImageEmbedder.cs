using System.Security.Cryptography;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Inference;

/// <summary>
/// A trained model ready to embed images: a run folder (or one of its checkpoint folders) on TorchSharp, or an
/// .onnx file written by `xbm export` on ONNX Runtime. Image files get the model's test-time preprocessing
/// (<see cref="Preprocessing"/>: from the run's dataset, or from the ONNX metadata), so both give the same
/// embeddings. Embeddings are unit-length rows (<see cref="EmbeddingMatrix"/>). Holds native resources: dispose it.
/// </summary>
public sealed class ImageEmbedder : IDisposable
{
    private readonly IEmbeddingBackend backend;
    private readonly int batchSize;

    private ImageEmbedder(IEmbeddingBackend backend, ImagePreprocessing preprocessing, string source, string modelHash,
        IReadOnlyDictionary<long, string>? classNames, int batchSize)
    {
        this.backend = backend;
        this.batchSize = batchSize;
        Preprocessing = preprocessing;
        Source = source;
        ModelHash = modelHash;
        ClassNames = classNames;
    }

    /// <summary>The model: the checkpoint folder of a run, or the .onnx file (full paths).</summary>
    public string Source { get; }

    /// <summary>True when the model runs on ONNX Runtime.</summary>
    public bool IsOnnx => backend is OnnxBackend;

    /// <summary>SHA-256 (hex) of the weights: the checkpoint's model.safetensors, or the .onnx file.</summary>
    public string ModelHash { get; }

    /// <summary>Embedding dimension d.</summary>
    public int Dimension => backend.Dimension;

    /// <summary>How image files become model inputs.</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Class names by label of the run's dataset, or null (ONNX models, datasets without names).</summary>
    public IReadOnlyDictionary<long, string>? ClassNames { get; }

    /// <summary>
    /// Opens <paramref name="path"/>: a file ending in .onnx, or a run or checkpoint folder. Errors name the path.
    /// </summary>
    public static ImageEmbedder Load(string path, EmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new EmbedderOptions();
        if (options.BatchSize is < 1)
            throw new ArgumentException($"batch size must be at least 1, got {options.BatchSize}", nameof(options));
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            if (!full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"{full}: expected an .onnx model written by `xbm export`, or a run folder");
            var onnx = OnnxBackend.Open(full, options.Threads);
            return new ImageEmbedder(onnx, onnx.Preprocessing, full, FileHash(full), null, options.BatchSize ?? 32);
        }
        if (!Directory.Exists(full))
            throw new FileNotFoundException($"{full}: no such run folder or .onnx file", full);
        var run = RunModel.Open(full, options.Overrides, options.Device);
        try
        {
            return new ImageEmbedder(new TorchBackend(run), run.Preprocessing, run.Checkpoint, Training.Checkpoint.WeightsHash(run.Checkpoint),
                run.ClassNames, options.BatchSize ?? run.BatchSize);
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Embeds image files in batches. A file that cannot be read fails with a message starting with its
    /// <paramref name="sources"/> entry (e.g. "list.txt:7") when given, else its path.
    /// </summary>
    public EmbeddingMatrix EmbedFiles(IReadOnlyList<string> paths, IReadOnlyList<string>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (sources is not null && sources.Count != paths.Count)
            throw new ArgumentException($"{paths.Count} paths but {sources.Count} sources", nameof(sources));
        int d = Dimension, length = Preprocessing.InputLength;
        var result = new float[(long)paths.Count * d];
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            int size = Math.Min(batchSize, paths.Count - start);
            var batch = new float[(long)size * length];
            for (int i = 0; i < size; i++)
                Preprocess(paths[start + i], sources?[start + i]).CopyTo(batch, (long)i * length);
            var embedded = backend.Run(batch, size, Preprocessing.Channels, Preprocessing.Height, Preprocessing.Width);
            embedded.CopyTo(result, (long)start * d);
        }
        return new EmbeddingMatrix(result, paths.Count, d);
    }

    /// <summary>Embeds preprocessed images: <paramref name="count"/> × C × H × W floats (<see cref="Preprocessing"/>'s size).</summary>
    public EmbeddingMatrix Embed(float[] images, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        int length = Preprocessing.InputLength;
        if (images.Length != (long)count * length)
            throw new ArgumentException($"{images.Length} floats for {count} images of {Preprocessing.Channels}×{Preprocessing.Height}×{Preprocessing.Width}", nameof(images));
        var embedded = backend.Run(images, count, Preprocessing.Channels, Preprocessing.Height, Preprocessing.Width);
        return new EmbeddingMatrix(embedded, count, Dimension);
    }

    /// <summary>Embeds a preprocessed N×C×H×W float tensor (any size the model takes).</summary>
    public EmbeddingMatrix Embed(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
            throw new ArgumentException($"expected N×C×H×W images, got [{string.Join(", ", images.shape)}]", nameof(images));
        int count = (int)images.shape[0];
        if (backend is TorchBackend torchBackend)
            return new EmbeddingMatrix(torchBackend.Embed(images), count, Dimension);
        using var scope = NewDisposeScope();
        var values = images.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var embedded = backend.Run(values, count, (int)images.shape[1], (int)images.shape[2], (int)images.shape[3]);
        return new EmbeddingMatrix(embedded, count, Dimension);
    }

    /// <inheritdoc />
    public void Dispose() => backend.Dispose();

    private float[] Preprocess(string path, string? source)
    {
        try
        {
            return Preprocessing.Load(path);
        }
        catch (InvalidDataException e) when (source is not null && source != path)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    private static string FileHash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
