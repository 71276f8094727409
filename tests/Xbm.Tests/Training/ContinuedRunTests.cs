using Xbm.Configuration;
using Xbm.IO;
using Xbm.Training;

namespace Xbm.Tests.Training;

/// <summary>
/// Continuing a finished run with more iterations, and starting a run from another run's weights. Runs alone: the
/// bit-exact comparison with one longer run needs the global generator (model initialisation) to itself.
/// </summary>
[Collection("global generator")]
public sealed class ContinuedRunTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-continue");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ConfigSection Tiny(long iterations, params string[] overrides) =>
        ConfigLoader.Parse(TestPaths.TinyConfig(false, iterations), "tiny.yaml", overrides);

    private static byte[] Weights(string run) => File.ReadAllBytes(Path.Combine(Checkpoint.Latest(run)!, "model.safetensors"));

    [Fact]
    public void MoreIterationsContinueFromTheLastCheckpointLikeOneLongerRun()
    {
        string run = Path.Combine(_folder, "run");
        using (var first = TrainingRun.Create(Tiny(8), run))
            first.Trainer.Run();
        using (var longer = TrainingRun.Create(Tiny(8, "iterations=14"), run))
        {
            var result = longer.Trainer.Run();
            Assert.Equal(8, result.ResumedFrom);
            Assert.Equal(14, result.Iterations);
        }
        Assert.Equal(14, Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration);
        Assert.Contains("iterations: 14", File.ReadAllText(Path.Combine(run, "config.yaml")));

        string straight = Path.Combine(_folder, "straight");
        using (var once = TrainingRun.Create(Tiny(14), straight))
            once.Trainer.Run();
        Assert.Equal(Weights(straight), Weights(run));

        // Fewer iterations than the run has done cannot be continued.
        var error = Assert.Throws<ConfigException>(() => TrainingRun.Create(Tiny(8, "iterations=10"), run));
        Assert.Contains("iterations: 14 → 10", error.Message);
        Assert.Contains("already reached iteration 14", error.Message);
    }

    [Fact]
    public void ARefusedResumeNamesEveryChangedKey()
    {
        string run = Path.Combine(_folder, "run");
        using (var first = TrainingRun.Create(Tiny(4), run))
            first.Trainer.Run();
        var error = Assert.Throws<ConfigException>(() => TrainingRun.Create(Tiny(4, "optimizer.lr=0.01", "iterations=6", "sampler.classes_per_batch=4"), run));
        Assert.Contains("optimizer.lr: 1.0e-3 → 0.01", error.Message);
        Assert.Contains("sampler.classes_per_batch: 5 → 4", error.Message);
        Assert.DoesNotContain("iterations: 4 → 6", error.Message); // iterations alone may change
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ModelWeightsMayBeAnotherRunOrCheckpoint()
    {
        string source = Path.Combine(_folder, "source");
        using (var first = TrainingRun.Create(Tiny(4), source))
            first.Trainer.Run();
        var (expected, _) = SafeTensors.Load(Path.Combine(Checkpoint.Latest(source)!, "model.safetensors"));
        foreach (string weights in new[] { source, Checkpoint.Latest(source)! })
        {
            string target = Path.Combine(_folder, "from-" + Path.GetFileName(weights));
            using var run = TrainingRun.Create(Tiny(4, $"model.weights={weights}"), target);
            var state = run.Model.state_dict();
            Assert.Equal(expected.Keys.Order(), state.Keys.Order());
            foreach (var (key, tensor) in expected)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                Assert.True(tensor.eq(state[key]).all().item<bool>(), key);
            }
            Assert.Null(Checkpoint.Latest(target)); // the weights only: the new run starts at iteration 0
        }
        foreach (var t in expected.Values)
            t.Dispose();

        var error = Assert.Throws<ConfigException>(() => TrainingRun.Create(Tiny(4, $"model.weights={source}", "model.dimension=16"), Path.Combine(_folder, "other")));
        Assert.Contains("model.weights", error.Message);
        Assert.Contains("another architecture", error.Message);
        Assert.Contains("is [32, ", error.Message);
        Assert.Contains("[16, ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        var notARun = Assert.Throws<ConfigException>(() => TrainingRun.Create(Tiny(4, $"model.weights={_folder}"), Path.Combine(_folder, "other2")));
        Assert.Contains("neither a checkpoint", notARun.Message);

        // A run started from another run's weights is trained, then evaluated after that run was deleted.
        string derived = Path.Combine(_folder, "derived");
        using (var training = TrainingRun.Create(Tiny(2, $"model.weights={source}"), derived))
            training.Trainer.Run();
        Directory.Delete(source, recursive: true);
        using (var trained = Xbm.Reporting.TrainedRun.Open(derived))
            Assert.Equal(Checkpoint.Latest(derived), trained.Checkpoint);
        Assert.Throws<ConfigException>(() => TrainingRun.Create(Tiny(2, $"model.weights={source}"), Path.Combine(_folder, "derived-again")));
    }
}
