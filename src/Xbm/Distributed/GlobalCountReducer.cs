using TorchSharp;
using Xbm.Reducers;
using static TorchSharp.torch;

namespace Xbm.Distributed;

/// <summary>
/// A reducer for data-parallel training (docs/design.md §10): it divides by <see cref="Inner"/>'s divisor of the whole
/// batch's counts (considered elements, non-zero elements and queries summed over the ranks) over the number of
/// ranks N. Each rank's loss is then N · (its summed elements) / (the whole batch's divisor), whose mean over the
/// ranks is the loss of one process with the whole batch, for any reducer of the "sum divided by a count" kind.
/// Every rank must compute its loss the same number of times in the same order: each divisor is one all-reduce.
/// </summary>
public sealed class GlobalCountReducer : IReducer
{
    private readonly ICollective _collective;

    /// <summary>Wraps <paramref name="inner"/> for the ranks of <paramref name="collective"/>.</summary>
    public GlobalCountReducer(IReducer inner, ICollective collective)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(collective);
        if (inner is GlobalCountReducer)
            throw new ArgumentException("the reducer already counts over the ranks", nameof(inner));
        Inner = inner;
        _collective = collective;
    }

    /// <summary>The reducer whose divisor is taken over the whole batch.</summary>
    public IReducer Inner { get; }

    /// <inheritdoc />
    public string Name => Inner.Name;

    /// <inheritdoc />
    public Tensor Reduce(Tensor losses, Tensor considered, long queryCount)
    {
        long consideredCount, nonZero;
        using (no_grad())
        {
            consideredCount = considered.count_nonzero().item<long>();
            using var active = losses.detach().ne(Runtime.Scalars.Zero).logical_and_(considered);
            nonZero = active.count_nonzero().item<long>();
        }
        using var divisor = Divisor(consideredCount, nonZero, queryCount).ToScalar();
        return losses.sum().div(divisor);
    }

    /// <summary><see cref="Inner"/>'s divisor of the counts summed over the ranks, divided by the number of ranks (one all-reduce).</summary>
    public double Divisor(long considered, long nonZero, long queryCount)
    {
        var counts = new double[] { considered, nonZero, queryCount };
        _collective.AllReduceSum(counts);
        return Inner.Divisor((long)counts[0], (long)counts[1], (long)counts[2]) / _collective.Size;
    }
}
