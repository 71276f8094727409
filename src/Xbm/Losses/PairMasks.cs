using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>The valid positive and negative pairs between queries and keys (B×M boolean masks).</summary>
public sealed class PairMasks : IDisposable
{
    /// <summary>Pairs with equal labels, excluding ignored pairs.</summary>
    public Tensor Positives { get; }

    /// <summary>Pairs with different labels, excluding ignored pairs.</summary>
    public Tensor Negatives { get; }

    private PairMasks(Tensor positives, Tensor negatives)
    {
        Positives = positives;
        Negatives = negatives;
    }

    /// <summary>Builds the masks from labels; <paramref name="ignore"/> (B×M, true = leave out) may be null.</summary>
    public static PairMasks Create(Tensor queryLabels, Tensor keyLabels, Tensor? ignore)
    {
        if (queryLabels.dim() != 1 || keyLabels.dim() != 1)
            throw new ArgumentException($"labels must be 1-D, got query labels [{string.Join(", ", queryLabels.shape)}] and key labels [{string.Join(", ", keyLabels.shape)}]");
        if (ignore is not null && (ignore.dim() != 2 || ignore.shape[0] != queryLabels.shape[0] || ignore.shape[1] != keyLabels.shape[0]))
            throw new ArgumentException($"the ignore mask must be [{queryLabels.shape[0]}, {keyLabels.shape[0]}], got [{string.Join(", ", ignore.shape)}]", nameof(ignore));
        if (ignore is not null && ignore.dtype != ScalarType.Bool)
            throw new ArgumentException($"the ignore mask must be boolean, got {ignore.dtype}", nameof(ignore));
        var same = queryLabels.unsqueeze(1).eq(keyLabels.unsqueeze(0));
        var different = same.logical_not();
        if (ignore is not null)
        {
            var keep = ignore.logical_not();
            same.logical_and_(keep);
            different.logical_and_(keep);
            keep.Dispose();
        }
        return new PairMasks(same, different);
    }

    /// <summary>
    /// Wraps existing masks (for example a miner's selection intersected with the valid pairs). The masks
    /// are owned by the result and disposed with it.
    /// </summary>
    public static PairMasks FromMasks(Tensor positives, Tensor negatives)
    {
        if (!positives.shape.SequenceEqual(negatives.shape) || positives.dim() != 2)
            throw new ArgumentException($"positive and negative masks must both be B×M, got [{string.Join(", ", positives.shape)}] and [{string.Join(", ", negatives.shape)}]");
        return new PairMasks(positives, negatives);
    }

    /// <summary>The masks restricted to the pairs selected in <paramref name="selected"/> (B×M boolean).</summary>
    public PairMasks Restrict(Tensor selected) => new(Positives.logical_and(selected), Negatives.logical_and(selected));

    /// <summary>The B×B mask of self-pairs for a batch used as its own keys (identity, not a threshold).</summary>
    public static Tensor SelfPairs(long batchSize, Device device) => eye(batchSize, dtype: @bool, device: device);

    /// <summary>
    /// The B×M mask that leaves out, for each query, the memory slot holding its own copy.
    /// <paramref name="slots"/> holds one slot per query, or -1 where the query has no slot (overwritten).
    /// </summary>
    public static Tensor OwnSlots(Tensor slots, long memoryCount)
    {
        var columns = arange(memoryCount, dtype: int64, device: slots.device).unsqueeze(0);
        return slots.unsqueeze(1).eq(columns);
    }

    /// <summary>
    /// Compatibility rule of the reference code: leave out every pair whose similarity is at least
    /// 1 − <paramref name="tolerance"/>. It also drops genuine duplicates, so identity masks are the default.
    /// </summary>
    public static Tensor NearIdentical(Tensor similarities, double tolerance = 1e-5) => similarities.detach().ge(1 - tolerance);

    /// <inheritdoc />
    public void Dispose()
    {
        Positives.Dispose();
        Negatives.Dispose();
    }
}
