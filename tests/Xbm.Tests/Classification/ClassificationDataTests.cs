using Xbm.Configuration;
using Xbm.Data;
using Xbm.Training;

namespace Xbm.Tests.Classification;

/// <summary>data.protocol: classification, data.train_fraction, and the errors of the task's keys.</summary>
public sealed class ClassificationDataTests
{
    private static ConfigSection Data(string yaml) => ConfigLoader.Parse(yaml, "data.yaml").Section("data");

    [Fact]
    public void TheClassificationProtocolTrainsOnTheTrainingFileAndTestsOnTheTestFileWithTheSameClasses()
    {
        var splits = DatasetFactory.Load(Data($"""
            data:
              root: {TestPaths.FashionMnistFixture}
              protocol: classification
              train_fraction: 0.5
              seed: 4
            """));
        // The fixture holds 120 training-file and 30 test-file images per class.
        Assert.Equal(600, splits.Train.Count);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(60, splits.Train.Labels.Count(l => l == c)));
        var test = Assert.Single(splits.Test).Queries;
        Assert.Equal(300, test.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(c => (long)c), test.Labels.Distinct().Order());
        Assert.Null(splits.Validation);
    }

    [Fact]
    public void TheKeptShareIsStratifiedSeededAndIndependentAcrossClasses()
    {
        long[] labels = [.. Enumerable.Repeat(0L, 10), .. Enumerable.Repeat(1L, 5), .. Enumerable.Repeat(2L, 1)];
        int[] kept = StratifiedFraction.Keep(labels, 0.5, 7);
        Assert.Equal([5, 3, 1], new long[] { 0, 1, 2 }.Select(c => kept.Count(i => labels[i] == c))); // round half up, at least one
        Assert.Equal(kept, kept.Order());
        Assert.Equal(kept, StratifiedFraction.Keep(labels, 0.5, 7));
        Assert.NotEqual(kept, StratifiedFraction.Keep(labels, 0.5, 8));
        // Class 0's choice does not depend on the other classes being there.
        Assert.Equal(kept.Where(i => labels[i] == 0), StratifiedFraction.Keep(labels[..10], 0.5, 7));
    }

    [Fact]
    public void TheTaskKeysAreCheckedAndNamed()
    {
        string data = $"data:\n  root: {TestPaths.FashionMnistFixture}\n";
        var stray = Assert.Throws<ConfigException>(() => ClassificationConfig.Read(ConfigLoader.Parse("classification:\n  batch_loss_weight: 0\n" + data, "t.yaml")));
        Assert.StartsWith("t.yaml: classification: applies to task: classification only", stray.Message);
        var task = Assert.Throws<ConfigException>(() => ClassificationConfig.Read(ConfigLoader.Parse("task: clasification\n", "t.yaml")));
        Assert.StartsWith("t.yaml: task:", task.Message);
        var testClasses = Assert.Throws<ConfigException>(() => DatasetFactory.Load(Data(data + "  protocol: classification\n  test_classes: [5]\n")));
        Assert.StartsWith("data.yaml: data.test_classes: protocol: classification tests on the training classes", testClasses.Message);
        var temporal = Assert.Throws<ConfigException>(() => TrainingRun.Create(ConfigLoader.Parse(data + "model:\n  temporal: relation\n", "t.yaml"), Path.Combine(Path.GetTempPath(), "xbm-never-" + Guid.NewGuid().ToString("N"))));
        Assert.StartsWith("t.yaml: model.temporal: applies to clips (data.dataset: clips) only", temporal.Message);
    }
}
