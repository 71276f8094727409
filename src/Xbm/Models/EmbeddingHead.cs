using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>A linear map from backbone features to the embedding dimension d (before normalisation).</summary>
public sealed class EmbeddingHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;

    /// <summary>Creates a head from <paramref name="features"/> inputs to <paramref name="dimension"/> outputs.</summary>
    public EmbeddingHead(long features, long dimension) : base(nameof(EmbeddingHead))
    {
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "embedding dimension must be positive");
        fc = nn.Linear(features, dimension);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => fc.forward(input);
}
