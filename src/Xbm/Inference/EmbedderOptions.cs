namespace Xbm.Inference;

/// <summary>How <see cref="ImageEmbedder.Load"/> opens a model.</summary>
public sealed record EmbedderOptions
{
    /// <summary>Images per forward pass; null: the run's evaluation batch size, or 32 for an ONNX model.</summary>
    public int? BatchSize { get; init; }

    /// <summary>ONNX Runtime: intra-op threads (0: ONNX Runtime's default, one per core).</summary>
    public int Threads { get; init; }

    /// <summary>A run: the device ("cpu", "cuda", "auto"), or null for the run's own.</summary>
    public string? Device { get; init; }

    /// <summary>A run: overrides of its stored configuration, e.g. "data.root=DIR" when the data moved.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];
}
