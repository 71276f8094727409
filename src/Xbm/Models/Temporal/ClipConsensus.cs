namespace Xbm.Models.Temporal;

/// <summary>How <see cref="ClipEmbeddingModel"/> turns a clip's per-frame features into one embedding.</summary>
public enum ClipConsensus
{
    /// <summary>A multi-scale <see cref="TemporalRelation"/> over the frames (TRN).</summary>
    Relation,
    /// <summary>The single-frame baseline: each frame embedded on its own, the unit embeddings averaged, no relations.</summary>
    Average,
}
