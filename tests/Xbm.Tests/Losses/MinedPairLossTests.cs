using Xbm.Losses;
using Xbm.Miners;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

public class MinedPairLossTests
{
    /// <summary>A loss that is not a <see cref="PairLoss"/>, so the miner's selection reaches it through the ignore mask.</summary>
    private sealed class Foreign(IPairLoss inner) : IPairLoss
    {
        public string Name => "foreign";

        public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ignore = null) =>
            inner.Compute(queries, queryLabels, keys, keyLabels, ignore);
    }

    public static TheoryData<bool> Modes() => new() { false, true };

    [Theory]
    [MemberData(nameof(Modes))]
    public void AnyPairLossGetsTheSelectionThroughTheIgnoreMask(bool memory)
    {
        using var scope = NewDisposeScope();
        var data = memory ? PairTestData.Memory(seed: 21) : PairTestData.Batch(seed: 21);
        foreach (IPairMiner miner in new IPairMiner[] { new PairMarginMiner(), new MultiSimilarityMiner(), new HardestNegativeMiner(3) })
        {
            var fast = Run(new MinedPairLoss(miner, new TripletMarginLoss(new TripletMarginLossOptions { Strategy = TripletStrategy.All })), data);
            var slow = Run(new MinedPairLoss(miner, new Foreign(new TripletMarginLoss(new TripletMarginLossOptions { Strategy = TripletStrategy.All }))), data);
            Assert.Equal(fast.Value, slow.Value, 12);
            Assert.Equal(fast.Positives, slow.Positives);
            Assert.Equal(fast.Negatives, slow.Negatives);
            for (int i = 0; i < fast.Grad.Length; i++)
                Assert.Equal(fast.Grad[i], slow.Grad[i], 12);
        }
    }

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
        var output = loss.Compute(q, data.QueryLabels, data.KeysAreQueries ? q : data.Keys, data.KeyLabels, data.Ignore);
        output.Loss.backward();
        return (output.Loss.item<double>(), q.grad!.data<double>().ToArray(), output.Pairs.Positives, output.Pairs.Negatives);
    }
}
