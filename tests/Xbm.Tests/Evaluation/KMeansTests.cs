using TorchSharp;
using Xbm.Evaluation;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

public class KMeansTests
{
    private static Tensor Blobs(int perClass, int classes, int d, double spread, int seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        using var five = 5.ToScalar();
        using var classCount = classes.ToScalar();
        using var spreadScalar = spread.ToScalar();
        var centres = randn(classes, d, generator: generator).mul(five);
        var labels = arange(Scalars.Zero, classCount, Scalars.One).repeat_interleave(perClass);
        return centres.index_select(0, labels).add(randn(classes * perClass, d, generator: generator).mul(spreadScalar), Scalars.One);
    }

    [Fact]
    public void SameSeedGivesTheSameClustering()
    {
        using var scope = NewDisposeScope();
        var x = Blobs(40, 6, 10, 2.0, 1); // overlapping blobs: the result depends on the initialisation
        var options = new KMeansOptions { Seed = 42, MaxIterations = 50 };
        using var a = KMeans.Fit(x, 6, options);
        using var b = KMeans.Fit(x, 6, options);
        Assert.Equal(a.Assignments, b.Assignments);
        Assert.True(a.Centroids.equal(b.Centroids).all().item<bool>());
        Assert.Equal(a.Inertia, b.Inertia);

        // Other seeds start from other centres (most runs differ somewhere in the assignments or inertia).
        int differing = 0;
        for (ulong seed = 1; seed <= 4; seed++)
        {
            using var c = KMeans.Fit(x, 6, options with { Seed = seed, MaxIterations = 1 });
            using var d = KMeans.Fit(x, 6, options with { Seed = 42, MaxIterations = 1 });
            differing += c.Inertia != d.Inertia ? 1 : 0;
        }
        Assert.True(differing >= 3);
    }

    [Fact]
    public void RecoversSeparatedClustersAndConverges()
    {
        using var scope = NewDisposeScope();
        var x = Blobs(30, 4, 5, 0.05, 2);
        using var result = KMeans.Fit(x, 4, new KMeansOptions { Seed = 7, Restarts = 2 });
        Assert.True(result.Converged);
        Assert.Equal(new long[] { 4, 5 }, result.Centroids.shape);
        // Each blob of 30 consecutive points is one cluster.
        for (int c = 0; c < 4; c++)
            Assert.Single(result.Assignments.Skip(30 * c).Take(30).Distinct());
        Assert.Equal(4, result.Assignments.Distinct().Count());
        // Inertia equals the summed squared distances to the centroids.
        var assigned = result.Centroids.index_select(0, tensor(result.Assignments.ToArray()));
        Assert.Equal((x - assigned).pow(Scalars.Two).sum().item<float>(), result.Inertia, 1e-3 * result.Inertia + 1e-6);
    }

    [Fact]
    public void MoreRestartsNeverIncreaseInertia()
    {
        using var scope = NewDisposeScope();
        var x = Blobs(25, 8, 6, 3.0, 3);
        using var one = KMeans.Fit(x, 8, new KMeansOptions { Seed = 9, Restarts = 1 });
        using var five = KMeans.Fit(x, 8, new KMeansOptions { Seed = 9, Restarts = 5 });
        Assert.True(five.Inertia <= one.Inertia);
    }

    [Fact]
    public void DuplicatePointsLeaveNoClusterEmptyOrNaN()
    {
        using var scope = NewDisposeScope();
        // Only three distinct points but five clusters requested.
        var x = tensor(new float[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 }, new long[] { 10, 2 });
        using var result = KMeans.Fit(x, 5, new KMeansOptions { Seed = 1, ChunkSize = 3 });
        Assert.True(result.Centroids.isfinite().all().item<bool>());
        Assert.Equal(0, result.Inertia, 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeans.Fit(x, 11));
    }
}
