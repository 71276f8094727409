using Xbm.Distributed;
using Xbm.Losses;
using Xbm.Tests.Training;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Distributed;

/// <summary>The pieces of docs/design.md §10 that need no second process: the refusals and the tensor collectives' arithmetic.</summary>
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

    [Fact]
    public void DataParallelTrainingRefusesReductionsThatAreNotAdditiveOverTheSlices()
    {
        var data = new SyntheticImageSet(6, 10);
        var options = new TrainOptions { Seed = 3, Iterations = 2, EvaluateEvery = 0, TensorBoard = false };
        var spread = new DistributedOptions(new SimulatedPeer(0, Array.Empty<float>()));
        using var model = FixedInitModel.Create();
        var refused = Assert.Throws<ArgumentException>(() => new Trainer(options, model, new ContrastiveLoss(new ContrastiveLossOptions { Reduction = "mean" }),
            null, data, new TestSampler(data.Labels, 3, 4, 5), CPU, _folder, distributed: spread));
        Assert.Contains("sum_per_query", refused.Message);
        _ = new Trainer(options, model, new ContrastiveLoss(), null, data, new TestSampler(data.Labels, 3, 4, 5), CPU, _folder, distributed: spread);
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
