namespace Xbm.Inference;

/// <summary>How an image file becomes a model input (<see cref="ImagePreprocessing"/>).</summary>
public enum PreprocessingKind
{
    /// <summary>Resize the shorter side, centre crop, normalise (file datasets: the test transform of docs/design.md §6).</summary>
    ResizeCrop,

    /// <summary>The image must have the model's size already; normalise only (in-memory datasets such as Fashion-MNIST).</summary>
    FixedSize,
}
