using Xbm.Configuration;
using Xbm.Training;

namespace Xbm.Tests.Training;

public sealed class EndToEndTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-e2e");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrainingOnFashionMnistClearlyBeatsTheUntrainedModel(bool memory)
    {
        var config = ConfigLoader.Parse(TestPaths.TinyConfig(memory), "tiny.yaml");
        using var run = TrainingRun.Create(config, Path.Combine(_folder, "run"));
        double untrained = run.Evaluator.Evaluate(run.Model, "test")["Recall@1"];

        var result = run.Trainer.Run();

        double trained = result.FinalMetrics["test"]["Recall@1"];
        Assert.True(trained > untrained + 0.05, $"Recall@1 untrained {untrained:P1}, trained {trained:P1}");
        Assert.Equal(memory, run.Memory is not null);
        if (memory)
            Assert.Equal(400, run.Memory!.Count);
        // The run folder holds what the README promises.
        foreach (string file in new[] { "config.yaml", "metrics.csv", "evaluations.csv", "summary.json", "checkpoints/latest" })
            Assert.True(File.Exists(Path.Combine(_folder, "run", file)), file);
        Assert.Contains(TrainingLog.ReadEvaluations(Path.Combine(_folder, "run")), e => e.Metric == "MAP@R" && e.Iteration == 300);
    }

    [Fact]
    public void ResumingARunWithADifferentConfigurationIsRefused()
    {
        string run = Path.Combine(_folder, "run");
        using (var first = TrainingRun.Create(ConfigLoader.Parse(TestPaths.TinyConfig(false, 10), "tiny.yaml"), run))
            first.Trainer.Run();
        var changed = ConfigLoader.Parse(TestPaths.TinyConfig(false, 10), "tiny.yaml", new[] { "optimizer.lr=0.01" });
        var error = Assert.Throws<ConfigException>(() => TrainingRun.Create(changed, run));
        Assert.Contains("another configuration", error.Message);
        Assert.Contains("optimizer.lr: 1.0e-3 → 0.01", error.Message);
    }
}
