using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses.Reference;

/// <summary>
/// The valid pairs of the reference forms, as B×M boolean masks built directly from the definitions:
/// P_ik = [y_i = y_k] ∧ [k ≠ own(i)] and N_ik = [y_i ≠ y_k] ∧ [k ≠ own(i)], where own(i) is the index of query i's
/// own key among the keys (−1 or no <c>ownKeys</c>: none).
/// </summary>
/// <param name="Positives">P: equal labels, own key left out.</param>
/// <param name="Negatives">N: different labels, own key left out.</param>
public sealed record ReferencePairs(Tensor Positives, Tensor Negatives)
{
    /// <summary>
    /// The pairs of <paramref name="queryLabels"/> (B) against <paramref name="keyLabels"/> (M); <paramref name="ownKeys"/>
    /// (B, int64) gives each query's own key index or −1, and null leaves every pair in.
    /// </summary>
    public static ReferencePairs Create(Tensor queryLabels, Tensor keyLabels, Tensor? ownKeys)
    {
        long m = keyLabels.shape[0];
        PairMasks.CheckOwnKeys(ownKeys, queryLabels.shape[0], m); // the fast forms' checks: shape, int64, indices in [-1, M)
        using var scope = NewDisposeScope();
        var same = queryLabels.unsqueeze(1).eq(keyLabels.unsqueeze(0));
        using var keyCount = m.ToScalar();
        var columns = arange(Scalars.Zero, keyCount, Scalars.One, dtype: int64, device: keyLabels.device);
        var own = ownKeys is null ? zeros_like(same) : ownKeys.unsqueeze(1).eq(columns.unsqueeze(0));
        var kept = own.logical_not();
        var positives = same.logical_and(kept).MoveToOuterDisposeScope();
        return new ReferencePairs(positives, same.logical_not().logical_and(kept).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The entry point every reference form shares: <paramref name="loss"/> evaluated on S = Q·Kᵀ (with gradient) over
    /// the valid pairs of <see cref="Create"/>.
    /// </summary>
    public static Tensor Score(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys,
        Func<Tensor, ReferencePairs, Tensor> loss)
    {
        using var scope = NewDisposeScope();
        var pairs = Create(queryLabels, keyLabels, ownKeys);
        return loss(queries.matmul(keys.t()), pairs).MoveToOuterDisposeScope();
    }

    /// <summary>P ∪ N: every valid pair.</summary>
    public Tensor Valid => Positives.logical_or(Negatives);

    /// <summary>The pairs that are also in <paramref name="selected"/> (B×M boolean, e.g. a miner's selection).</summary>
    public ReferencePairs Restrict(Tensor selected) => new(Positives.logical_and(selected), Negatives.logical_and(selected));
}
