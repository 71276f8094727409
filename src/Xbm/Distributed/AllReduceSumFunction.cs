using static TorchSharp.torch;

namespace Xbm.Distributed;

/// <summary>
/// The sum over the ranks as an autograd function (docs/design.md §10): forward, the element-wise sum of every rank's
/// tensor; backward, the sum over the ranks of the incoming gradients, because every rank's loss depends on every
/// rank's contribution. Every rank must run the same graph, so that the backward all-reduces pair up.
/// </summary>
internal sealed class AllReduceSumFunction : autograd.SingleTensorFunction<AllReduceSumFunction>
{
    private const string CollectiveKey = "collective";

    /// <inheritdoc />
    public override string Name => "XbmAllReduceSum";

    /// <summary>The sum of <paramref name="value"/> over the ranks of <paramref name="collective"/>, differentiable.</summary>
    public static Tensor Sum(Tensor value, ICollective collective) => apply(value, collective);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var collective = (ICollective)vars[1];
        ctx.save_data(CollectiveKey, collective);
        return DataParallel.SumOverRanks(collective, (Tensor)vars[0]);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var collective = (ICollective)ctx.get_data(CollectiveKey);
        return new List<Tensor> { DataParallel.SumOverRanks(collective, grad_output), null! };
    }
}
