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
        var same = queryLabels.unsqueeze(1).eq(keyLabels.unsqueeze(0));
        if (ignore is null)
            return new PairMasks(same, same.logical_not());
        var keep = ignore.logical_not();
        return new PairMasks(same.logical_and(keep), same.logical_not().logical_and(keep));
    }

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
