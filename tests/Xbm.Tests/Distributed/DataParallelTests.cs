using TorchSharp;
using Xbm.Distributed;
using Xbm.Losses;
using Xbm.Tests.Training;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Distributed;

/// <summary>The pieces of docs/design.md §10 that need no second process: the loss's preparation and the collectives' arithmetic.</summary>
public sealed class DataParallelTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-data-parallel");

    /// <summary>
    /// Rank <see cref="Rank"/> of two, in one process: the other rank's contributions are <see cref="Other"/> (its
    /// gathered slice, or what it adds to a sum), so the arithmetic around the transport can be checked.
    /// </summary>
    private sealed class SimulatedPeer(int rank, float[] other) : ICollective
    {
        public int Rank => rank;
        public int Size => 2;
        public float[] Other => other;

        public void AllGather(float[] send, float[] receive)
        {
            Assert.Equal(other.Length, send.Length);
            (rank == 0 ? send : other).CopyTo(receive, 0);
            (rank == 0 ? other : send).CopyTo(receive, send.Length);
        }

        public void AllGather(long[] send, long[] receive) => throw new NotSupportedException();

        public void AllReduceSum(float[] buffer)
        {
            Assert.Equal(other.Length, buffer.Length);
            for (int i = 0; i < buffer.Length; i++)
                buffer[i] += other[i];
        }

        public void AllReduceSum(double[] buffer) => throw new NotSupportedException();
        public void Broadcast(float[] buffer, int root) => throw new NotSupportedException();
        public void Barrier() { }
        public void Abort(int exitCode) => throw new NotSupportedException();
        public void Dispose() { }
    }

    [Fact]
    public void GatheredRowsAreInRankOrder()
    {
        using var own = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var asRank1 = DataParallel.GatherRows(new SimulatedPeer(1, new float[] { 5, 6, 7, 8 }), own);
        Assert.Equal(new long[] { 4, 2 }, asRank1.shape);
        Assert.Equal(new float[] { 5, 6, 7, 8, 1, 2, 3, 4 }, asRank1.data<float>().ToArray());
        using var asRank0 = DataParallel.GatherRows(new SimulatedPeer(0, new float[] { 5, 6, 7, 8 }), own);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, asRank0.data<float>().ToArray());
    }

    [Fact]
    public void GradientsBecomeTheirMeanOverTheRanks()
    {
        using var weight = zeros(new long[] { 2, 2 }, requires_grad: true);
        using var bias = zeros(new long[] { 3 }, requires_grad: true);
        using (var loss = weight.sum().add(bias.mul(tensor(new float[] { 1, 2, 3 })).sum(), Xbm.Runtime.Scalars.One))
            loss.backward(); // gradients: weight 1 1 1 1, bias 1 2 3
        DataParallel.AverageGradients(new SimulatedPeer(0, new float[] { 3, 5, 7, 9, 11, 0, -1 }), new[] { weight, bias });
        Assert.Equal(new float[] { 2, 3, 4, 5 }, weight.grad!.data<float>().ToArray());
        Assert.Equal(new float[] { 6, 1, 1 }, bias.grad!.data<float>().ToArray());
    }

    /// <summary>A pair loss from outside the library: the trainer cannot take its reduction over the whole batch.</summary>
    private sealed class ForeignLoss : IPairLoss
    {
        private readonly ContrastiveLoss _inner = new();
        public string Name => "foreign";
        public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys = null) =>
            _inner.Compute(queries, queryLabels, keys, keyLabels, ownKeys);
    }

    [Fact]
    public void DataParallelTrainingTakesTheReductionOverTheWholeBatchAndRefusesForeignLosses()
    {
        var data = new SyntheticImageSet(6, 10);
        var options = new TrainOptions { Seed = 3, Iterations = 2, EvaluateEvery = 0, TensorBoard = false };
        var spread = new DistributedOptions(new SimulatedPeer(0, Array.Empty<float>()));
        using var model = FixedInitModel.Create();
        var refused = Assert.Throws<ArgumentException>(() => new Trainer(options, model, new ForeignLoss(),
            null, data, new TestSampler(data.Labels, 3, 4, 5), CPU, _folder, distributed: spread));
        Assert.Contains("foreign", refused.Message);
        var loss = new ContrastiveLoss(new ContrastiveLossOptions { Reduction = "mean" });
        _ = new Trainer(options, model, loss, null, data, new TestSampler(data.Labels, 3, 4, 5), CPU, _folder, distributed: spread);
        var global = Assert.IsType<GlobalCountReducer>(loss.Reducer);
        Assert.Equal("mean", global.Inner.Name);
        _ = new Trainer(options, model, loss, null, data, new TestSampler(data.Labels, 3, 4, 5), CPU, _folder, distributed: spread);
        Assert.Equal("mean", Assert.IsType<GlobalCountReducer>(loss.Reducer).Inner.Name); // wrapped once, not twice
    }

    /// <summary>
    /// Each rank's loss over its half of the queries against the whole batch's keys, with the reduction's counts summed
    /// over the ranks: the mean over the ranks is the loss of one process with every query, and so are the gradients.
    /// </summary>
    [Theory]
    [InlineData("contrastive", "mean")]
    [InlineData("contrastive", "mean_nonzero")]
    [InlineData("contrastive", "sum_per_query")]
    [InlineData("multi_similarity", "mean")]
    [InlineData("multi_similarity", "mean_nonzero")]
    public void ReductionsOverTheRanksGiveTheWholeBatchLoss(string name, string reduction)
    {
        PairLoss Create() => name == "contrastive"
            ? new ContrastiveLoss(new ContrastiveLossOptions { Reduction = reduction })
            : new MultiSimilarityLoss(new MultiSimilarityLossOptions { Reduction = reduction });
        var generator = new Random(5);
        var values = Enumerable.Range(0, 12 * 8).Select(_ => (float)generator.NextDouble() - 0.5f).ToArray();
        using var rows = nn.functional.normalize(tensor(values, new long[] { 12, 8 }), p: 2, dim: 1);
        using var labels = tensor(new long[] { 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3 });
        using var count = 12.ToScalar();
        using var self = arange(Xbm.Runtime.Scalars.Zero, count, Xbm.Runtime.Scalars.One, dtype: int64);

        using var whole = rows.clone().requires_grad_(true);
        using var expected = Create().Compute(whole, labels, rows, labels, self).Loss;
        expected.backward();

        using var group = new ThreadedGroup(2);
        var perRank = group.Run(collective =>
        {
            var loss = Create();
            loss.Reducer = new GlobalCountReducer(loss.Reducer, collective);
            long first = collective.Rank * 6;
            var queries = rows.narrow(0, first, 6).clone().requires_grad_(true);
            using var value = loss.Compute(queries, labels.narrow(0, first, 6), rows, labels, self.narrow(0, first, 6)).Loss;
            value.backward();
            return (Loss: value.item<float>(), Gradient: queries.grad!.data<float>().ToArray());
        });
        Assert.Equal(expected.item<float>(), (perRank[0].Loss + perRank[1].Loss) / 2, 5e-6f);
        // The gradients of the mean over the ranks are half of each rank's own.
        var gradient = perRank.SelectMany(r => r.Gradient.Select(g => g / 2)).ToArray();
        var reference = whole.grad!.data<float>().ToArray();
        Assert.True(reference.Any(g => g != 0), "no gradient: the comparison would prove nothing");
        for (int i = 0; i < reference.Length; i++)
            Assert.Equal(reference[i], gradient[i], 1e-6f);
    }

    /// <summary>
    /// Synchronised BatchNorm over two ranks' halves against libtorch's batch_norm over the whole input: the same
    /// outputs, input gradients and running statistics; the ranks' scale and shift gradients sum to the whole one's.
    /// </summary>
    [Fact]
    public void SynchronizedBatchNormEqualsBatchNormOverTheWholeBatch()
    {
        var generator = new Random(11);
        var values = Enumerable.Range(0, 6 * 3 * 4 * 5).Select(_ => (float)(generator.NextDouble() * 4 - 1)).ToArray();
        var projection = Enumerable.Range(0, values.Length).Select(_ => (float)generator.NextDouble() - 0.5f).ToArray();
        var shape = new long[] { 6, 3, 4, 5 };
        using var input = tensor(values, shape);
        using var weights = tensor(projection, shape);

        using var whole = input.clone().requires_grad_(true);
        using var scale = tensor(new float[] { 1.5f, 0.5f, -2f }).requires_grad_(true);
        using var shift = tensor(new float[] { 0.1f, -0.2f, 0.3f }).requires_grad_(true);
        using var runningMean = zeros(3);
        using var runningVariance = ones(3);
        using var expected = nn.functional.batch_norm(whole, runningMean, runningVariance, scale, shift, training: true, momentum: 0.1, eps: 1e-5);
        using (var loss = expected.mul(weights).sum())
            loss.backward();

        using var group = new ThreadedGroup(2);
        var ranks = group.Run(collective =>
        {
            long first = collective.Rank * 3;
            var own = input.narrow(0, first, 3).clone().requires_grad_(true);
            var gamma = tensor(new float[] { 1.5f, 0.5f, -2f }).requires_grad_(true);
            var beta = tensor(new float[] { 0.1f, -0.2f, 0.3f }).requires_grad_(true);
            var mean = zeros(3);
            var variance = ones(3);
            var output = SynchronizedBatchNorm.Forward(own, mean, variance, gamma, beta, 0.1, 1e-5, collective);
            output.mul(weights.narrow(0, first, 3)).sum().backward();
            return (Output: output.detach(), Input: own.grad!, Scale: gamma.grad!, Shift: beta.grad!, Mean: mean, Variance: variance);
        });
        AssertClose(expected.detach(), cat(new[] { ranks[0].Output, ranks[1].Output }), 2e-6);
        AssertClose(whole.grad!, cat(new[] { ranks[0].Input, ranks[1].Input }), 2e-5);
        AssertClose(scale.grad!, ranks[0].Scale.add(ranks[1].Scale, Xbm.Runtime.Scalars.One), 2e-5);
        AssertClose(shift.grad!, ranks[0].Shift.add(ranks[1].Shift, Xbm.Runtime.Scalars.One), 2e-5);
        foreach (var rank in ranks)
        {
            AssertClose(runningMean, rank.Mean, 1e-6);
            AssertClose(runningVariance, rank.Variance, 1e-6);
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(1, expected.abs().max().item<float>());
        double difference = expected.sub(actual).abs().max().item<float>();
        Assert.True(difference <= tolerance * scale, $"differs by {difference:E2} (scale {scale:G3}, tolerance {tolerance:E1})");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
