using TorchSharp;
using Xbm.Models.Temporal;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// Backbone, embedding head and L2 normalisation: images in, unit-length embeddings out. Or, wrapping a
/// <see cref="ClipEmbeddingModel"/>, clips [B, N, C, H, W] in, unit-length clip embeddings out. For the
/// classification task it also carries a <see cref="ClassifierHead"/> on the embeddings (parameters "classifier.*");
/// without one its parameters and their order are those of the plain embedding model.
/// </summary>
public sealed class EmbeddingModel : nn.Module<Tensor, Tensor>
{
    // Field order is the parameter order (and so the optimizer's): backbone, head, then the optional modules.
    private readonly Backbone? backbone;
    private readonly EmbeddingHead? head;
    private readonly ClipEmbeddingModel? clip;
    private readonly ClassifierHead? classifier;

    /// <summary>
    /// Wraps <paramref name="backbone"/> with a head to <paramref name="dimension"/> dimensions, and a classifier to
    /// <paramref name="classes"/> logits when it is above 0 (cosine with scale <paramref name="classifierScale"/> when
    /// that is above 0, see <see cref="ClassifierHead"/>).
    /// </summary>
    public EmbeddingModel(Backbone backbone, long dimension, long classes = 0, double classifierScale = 0) : base(nameof(EmbeddingModel))
    {
        this.backbone = backbone;
        head = new EmbeddingHead(backbone.FeatureDimension, dimension);
        Dimension = dimension;
        if (classes > 0)
            classifier = new ClassifierHead(dimension, classes, classifierScale);
        RegisterComponents();
    }

    /// <summary>
    /// Wraps the clip model <paramref name="clip"/> (parameters "clip.*"), with a classifier to
    /// <paramref name="classes"/> logits when it is above 0 (cosine with scale <paramref name="classifierScale"/> when above 0).
    /// </summary>
    public EmbeddingModel(ClipEmbeddingModel clip, long classes = 0, double classifierScale = 0) : base(nameof(EmbeddingModel))
    {
        this.clip = clip;
        Dimension = clip.Dimension;
        if (classes > 0)
            classifier = new ClassifierHead(clip.Dimension, classes, classifierScale);
        RegisterComponents();
    }

    /// <summary>The embedding dimension d.</summary>
    public long Dimension { get; }

    /// <summary>The feature extractor (the clip model's per-frame backbone for clips).</summary>
    public Backbone Backbone => backbone ?? clip!.Backbone;

    /// <summary>The clip model, or null for an image model.</summary>
    public ClipEmbeddingModel? Clip => clip;

    /// <summary>The classifier of the classification task, or null.</summary>
    public ClassifierHead? Classifier => classifier;

    /// <inheritdoc />
    public override Tensor forward(Tensor input) =>
        clip is not null ? clip.forward(input) : nn.functional.normalize(head!.forward(backbone!.forward(input)), p: 2, dim: 1);
}
