using Xbm.Losses;
using Xbm.Miners;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

public class MinedPairLossTests
{
    [Fact]
    public void MiningOnlyRemovesPairs()
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 22);
        var plain = Run(new ContrastiveLoss(), data);
        var mined = Run(new MinedPairLoss(new HardestNegativeMiner(1), new ContrastiveLoss()), data);
        Assert.True(mined.Negatives <= data.Queries.shape[0]);
        Assert.True(mined.Negatives < plain.Negatives);
        Assert.Equal(plain.Positives, mined.Positives);
    }

    private static (double Value, double[] Grad, long Positives, long Negatives) Run(IPairLoss loss, PairTestData.Case data)
    {
        var q = data.Queries.detach().clone().requires_grad_(true);
        var output = loss.Compute(q, data.QueryLabels, data.KeysAreQueries ? q : data.Keys, data.KeyLabels, data.OwnKeys);
        output.Loss.backward();
        return (output.Loss.item<double>(), q.grad!.data<double>().ToArray(), output.Pairs.Positives, output.Pairs.Negatives);
    }
}
