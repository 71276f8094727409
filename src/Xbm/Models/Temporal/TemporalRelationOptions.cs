namespace Xbm.Models.Temporal;

/// <summary>Options of <see cref="TemporalRelation"/>.</summary>
public sealed record TemporalRelationOptions
{
    /// <summary>Width of each scale's g network (the TRN code's <c>num_bottleneck</c>, 256).</summary>
    public long Bottleneck { get; init; } = 256;

    /// <summary>Tuples summed per scale below N (the TRN code's <c>subsample_num</c>, 3); all of them when a scale has fewer.</summary>
    public int Subsample { get; init; } = 3;

    /// <summary>Seed of the training-time tuple choice.</summary>
    public ulong Seed { get; init; }
}
