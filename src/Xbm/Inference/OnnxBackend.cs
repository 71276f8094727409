using Microsoft.ML.OnnxRuntime;
using Xbm.Export;

namespace Xbm.Inference;

/// <summary>An exported model (<see cref="OnnxExporter"/>) on ONNX Runtime's CPU provider; no libtorch involved.</summary>
internal sealed class OnnxBackend : IEmbeddingBackend
{
    private readonly InferenceSession session;

    private OnnxBackend(InferenceSession session, int dimension, ImagePreprocessing preprocessing, IReadOnlyDictionary<string, string> metadata)
    {
        this.session = session;
        Dimension = dimension;
        Preprocessing = preprocessing;
        Metadata = metadata;
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>The preprocessing read from the metadata.</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>The model's metadata entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/>; errors name the file (not ONNX, not exported by this tool).</summary>
    public static OnnxBackend Open(string path, int threads)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such ONNX model", path);
        using var options = new SessionOptions();
        if (threads > 0)
        {
            options.IntraOpNumThreads = threads;
            options.InterOpNumThreads = 1;
        }
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it: {e.Message}", e);
        }
        try
        {
            var metadata = session.ModelMetadata.CustomMetadataMap;
            if (!session.InputMetadata.ContainsKey(OnnxExporter.InputName) || !session.OutputMetadata.TryGetValue(OnnxExporter.OutputName, out var output))
                throw new InvalidDataException($"{path}: not an embedding model exported by `xbm export` (needs input '{OnnxExporter.InputName}' and output '{OnnxExporter.OutputName}')");
            var preprocessing = ImagePreprocessing.FromMetadata(metadata, path);
            int dimension = output.Dimensions is [_, > 0 and var d] ? d
                : throw new InvalidDataException($"{path}: output '{OnnxExporter.OutputName}' has shape [{string.Join(", ", output.Dimensions)}], expected [batch, d]");
            return new OnnxBackend(session, dimension, preprocessing, new Dictionary<string, string>(metadata));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public float[] Run(float[] images, int count, int channels, int height, int width)
    {
        long[] shape = [count, channels, height, width];
        using var input = OrtValue.CreateTensorValueFromMemory(images, shape);
        using var run = new RunOptions();
        using var results = session.Run(run, [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
