using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Models.Temporal;

/// <summary>
/// Clips [B, N, C, H, W] in, unit-length clip embeddings [B, d] out (usable as the memory's keys). The backbone
/// embeds the B·N frames as one image batch. With <see cref="ClipConsensus.Relation"/>: a Linear projection to
/// <see cref="ClipEmbeddingOptions.FrameDimension"/> (optional), the frame features [B, N, D] go through a
/// <see cref="TemporalRelation"/> to [B, E], then the embedding head and L2 normalisation. With
/// <see cref="ClipConsensus.Average"/> (the single-frame baseline): each frame gets the image model's embedding
/// (head, then L2 normalisation), the N unit embeddings are averaged and the mean is L2-normalised again.
/// </summary>
public sealed class ClipEmbeddingModel : nn.Module<Tensor, Tensor>
{
    private readonly Backbone backbone;
    private readonly Linear? projection;
    private readonly TemporalRelation? relation;
    private readonly EmbeddingHead head;

    /// <summary>Wraps <paramref name="backbone"/> for clips of <paramref name="frames"/> frames and embeddings of <paramref name="dimension"/> dimensions.</summary>
    public ClipEmbeddingModel(Backbone backbone, int frames, long dimension, ClipEmbeddingOptions? options = null) : base(nameof(ClipEmbeddingModel))
    {
        options ??= new ClipEmbeddingOptions();
        if (frames < 1)
            throw new ArgumentOutOfRangeException(nameof(frames), frames, "a clip has at least one frame");
        if (options.FrameDimension < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.FrameDimension, "frame dimension must be 0 (backbone features) or positive");
        this.backbone = backbone;
        Frames = frames;
        Dimension = dimension;
        Options = options;
        if (options.Consensus == ClipConsensus.Relation)
        {
            long d = backbone.FeatureDimension;
            if (options.FrameDimension > 0)
            {
                projection = nn.Linear(backbone.FeatureDimension, options.FrameDimension);
                d = options.FrameDimension;
            }
            relation = new TemporalRelation(frames, d, options.RelationDimension, options.Relation);
            head = new EmbeddingHead(options.RelationDimension, dimension);
        }
        else
            head = new EmbeddingHead(backbone.FeatureDimension, dimension);
        RegisterComponents();
    }

    /// <summary>The embedding dimension d.</summary>
    public long Dimension { get; }

    /// <summary>Frames per clip N.</summary>
    public int Frames { get; }

    /// <summary>The options.</summary>
    public ClipEmbeddingOptions Options { get; }

    /// <summary>The per-frame feature extractor.</summary>
    public Backbone Backbone => backbone;

    /// <summary>The temporal relation (null for the average baseline).</summary>
    public TemporalRelation? Relation => relation;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 5 || input.shape[1] != Frames)
            throw new ArgumentException($"the clip model takes clips [B, {Frames}, C, H, W], got [{string.Join(", ", input.shape)}]", nameof(input));
        long b = input.shape[0];
        using var scope = NewDisposeScope();
        var features = backbone.forward(input.reshape(b * Frames, input.shape[2], input.shape[3], input.shape[4]));
        Tensor embedding;
        if (relation is not null)
        {
            if (projection is not null)
                features = projection.forward(features);
            embedding = head.forward(relation.forward(features.reshape(b, Frames, features.shape[1])));
        }
        else
        {
            var perFrame = nn.functional.normalize(head.forward(features), p: 2, dim: 1);
            embedding = perFrame.reshape(b, Frames, Dimension).mean([1]);
        }
        return nn.functional.normalize(embedding, p: 2, dim: 1).MoveToOuterDisposeScope();
    }
}
