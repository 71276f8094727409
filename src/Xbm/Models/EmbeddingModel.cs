using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>Backbone, embedding head and L2 normalisation: images in, unit-length embeddings out.</summary>
public sealed class EmbeddingModel : nn.Module<Tensor, Tensor>
{
    private readonly Backbone backbone;
    private readonly EmbeddingHead head;

    /// <summary>Wraps <paramref name="backbone"/> with a head to <paramref name="dimension"/> dimensions.</summary>
    public EmbeddingModel(Backbone backbone, long dimension) : base(nameof(EmbeddingModel))
    {
        this.backbone = backbone;
        head = new EmbeddingHead(backbone.FeatureDimension, dimension);
        Dimension = dimension;
        RegisterComponents();
    }

    /// <summary>The embedding dimension d.</summary>
    public long Dimension { get; }

    /// <summary>The feature extractor.</summary>
    public Backbone Backbone => backbone;

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => nn.functional.normalize(head.forward(backbone.forward(input)), p: 2, dim: 1);
}
