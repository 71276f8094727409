using TorchSharp;
using Xbm.Configuration;
using Xbm.Data;
using Xbm.Models;
using Xbm.Runtime;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>Runs alone (the global generator's collection) so that each test's model initialisation is its seed's.</summary>
[Collection("global generator")]
public class DriftMonitorTests
{
    /// <summary>Deterministic 1×8×8 images: image p is seeded by p; counts how often images are loaded.</summary>
    private sealed class SyntheticImages(int count) : IImageSet
    {
        public int Count => count;
        public int Channels => 1;
        public IReadOnlyList<long> Labels => Enumerable.Range(0, count).Select(i => (long)(i % 3)).ToList();
        public int Loads { get; private set; }

        public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed)
        {
            Assert.False(augment); // probes use the deterministic preprocessing
            Loads++;
            using var scope = NewDisposeScope();
            return stack(positions.Select(p => randn(new long[] { 1, 8, 8 }, generator: new Generator((ulong)p + 1))).ToList())
                .MoveToOuterDisposeScope();
        }
    }

    private static EmbeddingModel Model(long seed)
    {
        random.manual_seed(seed);
        return new EmbeddingModel(new SmallCnn(1, 4), 8);
    }

    private static DriftMonitorOptions Options(params long[] deltas) =>
        new() { ProbeCount = 20, Deltas = deltas, Interval = 10, BatchSize = 8, Seed = 5 };

    /// <summary>Mean squared distance of the probes' normalised eval-mode embeddings under two models.</summary>
    private static double ManualDrift(IImageSet images, IReadOnlyList<int> probes, nn.Module<Tensor, Tensor> a, nn.Module<Tensor, Tensor> b)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        a.eval();
        b.eval();
        var x = images.Load(probes, false, 0);
        var ea = nn.functional.normalize(a.forward(x), p: 2, dim: 1).to(float64);
        var eb = nn.functional.normalize(b.forward(x), p: 2, dim: 1).to(float64);
        return (ea - eb).pow(Scalars.Two).sum(1).mean().item<double>();
    }

    [Fact]
    public void FrozenWeightsGiveZeroDrift()
    {
        using var scope = NewDisposeScope();
        var images = new SyntheticImages(30);
        using var model = Model(1);
        model.train();
        using var monitor = new DriftMonitor(images, Options(10, 20));
        var samples = new List<DriftSample>();
        for (long t = 0; t <= 60; t++)
            if (monitor.Due(t))
                samples.AddRange(monitor.Record(t, model));
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.Equal(0.0, s.Drift));
        Assert.Equal(0.0, monitor.LatestDrift(10));
        Assert.Equal(0.0, monitor.LatestDrift(20));
        Assert.True(model.training, "the model's training mode is restored");
    }

    [Fact]
    public void ProbesAreEmbeddedInEvalMode()
    {
        using var scope = NewDisposeScope();
        var images = new SyntheticImages(30);
        using var model = Model(2);
        model.train();
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        using var monitor = new DriftMonitor(images, Options(10));
        monitor.Record(0, model);
        // A train-mode forward would have updated the BatchNorm running statistics.
        foreach (var (name, value) in model.state_dict())
            Assert.True(value.eq(before[name]).all().item<bool>(), $"{name} changed");
        Assert.True(model.training);
    }

    [Fact]
    public void ChangingWeightsGivePositiveDriftEqualToTheDefinition()
    {
        using var scope = NewDisposeScope();
        var images = new SyntheticImages(30);
        using var model = Model(3);
        using var reference = Model(3); // a copy of the weights at t − Δt
        using var monitor = new DriftMonitor(images, Options(10, 20));
        // Every "training step" moves the weights by the same small step along one fixed random direction, so the
        // weights at t and t − 20 are twice as far apart as those at t and t − 10. (A random walk would make the
        // comparison below depend on the initial weights: over 200 initialisations its ratio ranged from 0.7 to 6.)
        var g = new Generator(9);
        using var stepSize = 0.002.ToScalar();
        var direction = model.parameters().Select(p => randn(p.shape, generator: g).mul(stepSize)).ToList();
        var history = new Dictionary<long, Dictionary<string, Tensor>>();

        for (long t = 0; t <= 40; t++)
        {
            if (t > 0)
            {
                using var noGrad = no_grad();
                foreach (var (p, step) in model.parameters().Zip(direction))
                    p.add_(step, Scalars.One);
            }
            history[t] = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
            if (!monitor.Due(t))
                continue;
            foreach (var sample in monitor.Record(t, model))
            {
                Assert.True(sample.Drift > 0, $"drift at t={sample.Iteration}, Δt={sample.Delta} should be positive");
                reference.load_state_dict(history[t - sample.Delta]);
                double expected = ManualDrift(images, monitor.Probes, model, reference);
                Assert.Equal(expected, sample.Drift, 6);
            }
        }
        // t = 10, 20, 30, 40 for Δt = 10; t = 20, 30, 40 for Δt = 20.
        Assert.Equal(new[] { (10L, 10L), (20, 10), (20, 20), (30, 10), (30, 20), (40, 10), (40, 20) },
            monitor.Samples.Select(s => (s.Iteration, s.Delta)).ToArray());
        Assert.Equal(monitor.Samples.Last(s => s.Delta == 20).Drift, monitor.LatestDrift(20));
        // Twice the distance drifts more: about four times as much while the embedding is close to linear in the
        // weights (over 200 initialisations the ratio ranged from 2.4 to 6.0, median 4.3).
        double ratio = monitor.Samples.Last(s => s.Delta == 20).Drift / monitor.Samples.Last(s => s.Delta == 10).Drift;
        Assert.True(ratio > 1.5, $"drift at Δt = 20 over drift at Δt = 10 is {ratio}");
    }

    [Fact]
    public void EmbedsOnlyWhenNeededAndKeepsFewSnapshots()
    {
        using var scope = NewDisposeScope();
        var images = new SyntheticImages(30);
        using var model = Model(4);
        using var monitor = new DriftMonitor(images, Options(10, 25, 100));
        // Measurements at multiples of 10; Δt = 25 also needs snapshots at t ≡ 5 (mod 10).
        Assert.True(monitor.Due(0));
        Assert.True(monitor.Due(5));
        Assert.True(monitor.Due(30));
        Assert.False(monitor.Due(7));
        Assert.False(monitor.Due(-10));

        int maxSnapshots = 0;
        for (long t = 0; t <= 300; t++)
        {
            if (!monitor.Due(t))
            {
                Assert.Empty(monitor.Record(t, model)); // nothing to do: no forward pass
                continue;
            }
            monitor.Record(t, model);
            maxSnapshots = Math.Max(maxSnapshots, monitor.SnapshotCount);
        }
        // Δt = 100 keeps the last 10 measurement snapshots, Δt = 25 three more: bounded, not the whole history.
        Assert.InRange(maxSnapshots, 10, 14);
        Assert.Contains(monitor.Samples, s => s.Iteration == 30 && s.Delta == 25);
        Assert.Contains(monitor.Samples, s => s.Iteration == 300 && s.Delta == 100);
        Assert.DoesNotContain(monitor.Samples, s => s.Iteration == 90 && s.Delta == 100);
        // 20 probes in batches of 8 = 3 loads, then served from the cache.
        Assert.Equal(3, images.Loads);
    }

    [Fact]
    public void ProbesAreSeededDistinctAndBounded()
    {
        var images = new SyntheticImages(1000);
        using var a = new DriftMonitor(images, Options(10) with { ProbeCount = 50 });
        using var b = new DriftMonitor(images, Options(10) with { ProbeCount = 50 });
        using var c = new DriftMonitor(images, Options(10) with { ProbeCount = 50, Seed = 6 });
        Assert.Equal(a.Probes, b.Probes);
        Assert.NotEqual(a.Probes, c.Probes);
        Assert.Equal(50, a.Probes.Distinct().Count());
        Assert.All(a.Probes, p => Assert.InRange(p, 0, 999));
        using var all = new DriftMonitor(new SyntheticImages(7), Options(10) with { ProbeCount = 50 });
        Assert.Equal(Enumerable.Range(0, 7), all.Probes);
    }

    [Fact]
    public void RejectsMisuse()
    {
        using var scope = NewDisposeScope();
        var images = new SyntheticImages(10);
        using var model = Model(5);
        using var monitor = new DriftMonitor(images, Options(10));
        Assert.Null(monitor.LatestDrift(10));
        Assert.Throws<ArgumentException>(() => monitor.LatestDrift(20));
        monitor.Record(10, model);
        Assert.Throws<ArgumentException>(() => monitor.Record(10, model));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DriftMonitor(images, Options(0)));
    }

    [Fact]
    public void ReadsItsOptionsFromAConfigSection()
    {
        var section = new ConfigSection(new Dictionary<string, object?>
        {
            ["probes"] = "64", ["deltas"] = new List<object?> { "5", "50" }, ["interval"] = "5", ["batch_size"] = "32",
        }, "run.yaml", "drift");
        var options = DriftMonitorOptions.FromConfig(section, seed: 42);
        Assert.Equal((64, 5L, 32, 42UL), (options.ProbeCount, options.Interval, options.BatchSize, options.Seed));
        Assert.Equal(new long[] { 5, 50 }, options.Deltas);
        var bad = new ConfigSection(new Dictionary<string, object?> { ["probe"] = "64" }, "run.yaml", "drift");
        Assert.Contains("drift.probe: unknown key", Assert.Throws<ConfigException>(() => DriftMonitorOptions.FromConfig(bad, 0)).Message);
    }
}
