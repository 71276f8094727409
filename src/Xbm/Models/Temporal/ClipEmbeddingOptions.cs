namespace Xbm.Models.Temporal;

/// <summary>Options of <see cref="ClipEmbeddingModel"/>.</summary>
public sealed record ClipEmbeddingOptions
{
    /// <summary>Relation (TRN, default) or the single-frame average baseline.</summary>
    public ClipConsensus Consensus { get; init; } = ClipConsensus.Relation;

    /// <summary>
    /// Relation: width D of the per-frame features the relation reads, made by a Linear projection of the
    /// backbone's features (the TRN code's <c>img_feature_dim</c>, 256); 0 feeds the backbone features as they are.
    /// </summary>
    public long FrameDimension { get; init; } = 256;

    /// <summary>Relation: output width E of the temporal relation, the embedding head's input.</summary>
    public long RelationDimension { get; init; } = 256;

    /// <summary>Relation: bottleneck, tuples per scale and seed of the temporal relation.</summary>
    public TemporalRelationOptions Relation { get; init; } = new();
}
