namespace Xbm.Inference;

/// <summary>What runs the model for an <see cref="ImageEmbedder"/>: ONNX Runtime or TorchSharp.</summary>
internal interface IEmbeddingBackend : IDisposable
{
    /// <summary>Embedding dimension d.</summary>
    int Dimension { get; }

    /// <summary>Embeds a preprocessed batch (N×C×H×W floats); returns N×d floats.</summary>
    float[] Run(float[] images, int count, int channels, int height, int width);
}
