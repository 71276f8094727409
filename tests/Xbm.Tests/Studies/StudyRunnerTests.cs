using System.Text.Json;
using Xbm.Reporting;
using Xbm.Studies;
using Xbm.Tests.Data;

namespace Xbm.Tests.Studies;

/// <summary>The study runner on tiny Fashion-MNIST fixture runs: arms × seeds, aggregation, reuse of finished runs.</summary>
public sealed class StudyRunnerTests : IDisposable
{
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A tiny config over the fixture: 4 iterations of a width-4 CNN, classes 2 and 4 held out for validation.</summary>
    internal static string TinyConfig(string folder)
    {
        string path = Path.Combine(folder, "tiny.yaml");
        File.WriteAllText(path, $"""
            name: tiny
            threads: 1
            iterations: 4
            data: {"{"}dataset: fashion_mnist, root: "{FashionFixture.Root}", validation_classes: [2, 4]{"}"}
            model: {"{"}backbone: small_cnn, dimension: 8, width: 4{"}"}
            sampler: {"{"}classes_per_batch: 2, images_per_class: 4{"}"}
            checkpoint: {"{"}every: 0, keep: 1{"}"}
            logging: {"{"}every: 2, tensorboard: false{"}"}
            memory: none
            """);
        return path;
    }

    [Fact]
    public void RunsEveryArmWithEverySeedAndAggregatesThem()
    {
        var options = new StudyOptions { ConfigPath = TinyConfig(_temp.Path), Seeds = new long[] { 0, 1 }, Folder = _temp.File("study") };
        var logged = new List<string>();
        var runner = new StudyRunner(options) { Log = logged.Add };
        var arms = new[] { StudyArm.Parse("no memory"), StudyArm.Parse("XBM*: memory.kind=fifo; memory.start_iteration=2") };
        var comparison = runner.Run(arms);

        Assert.Equal(4, comparison.Runs.Count);
        Assert.Equal(new[] { "no memory", "XBM*" }, comparison.Arms);
        foreach (var run in comparison.Runs)
        {
            Assert.True(File.Exists(Path.Combine(run.Folder, StudyRunner.ResultFileName)));
            Assert.Contains($"seed: {run.Seed}", File.ReadAllText(Path.Combine(run.Folder, "config.yaml")));
            Assert.InRange(run.Metrics["validation/Recall@1"], 0, 1);
            Assert.InRange(run.Metrics["test/Recall@1"], 0, 1);
            Assert.True(run.Metrics["test/Recall@8"] >= run.Metrics["test/Recall@1"]);
        }
        Assert.Equal(2, comparison.Runs.Single(r => r.Arm == "XBM*" && r.Seed == 0).Metrics["memory_start"]);
        Assert.DoesNotContain("memory_start", comparison.Runs.First(r => r.Arm == "no memory").Metrics.Keys);
        Assert.Contains("xbms-seed1", comparison.Runs.Single(r => r.Arm == "XBM*" && r.Seed == 1).Folder);

        // The summary is the mean and sample standard deviation over the arm's seeds.
        var values = comparison.Runs.Where(r => r.Arm == "XBM*").Select(r => r.Metrics["test/Recall@1"]).ToArray();
        var (mean, std, n) = comparison.Summary("XBM*", "test/Recall@1");
        Assert.Equal(2, n);
        Assert.Equal((values[0] + values[1]) / 2, mean, 12);
        Assert.Equal(Math.Abs(values[0] - values[1]) / Math.Sqrt(2), std, 12);

        string markdown = runner.WriteSummary(comparison, "tiny study");
        Assert.Contains("| XBM* | 2 |", markdown);
        Assert.Contains($"{100 * mean:F2} ± {100 * std:F2}", markdown);
        Assert.Equal(5, File.ReadAllLines(_temp.File("study/summary.csv")).Length);

        // Running again reuses every finished run (same resolved config) without training.
        var before = comparison.Runs.Select(r => File.GetLastWriteTimeUtc(Path.Combine(r.Folder, StudyRunner.ResultFileName))).ToList();
        logged.Clear();
        var again = runner.Run(arms);
        Assert.All(logged, line => Assert.Contains("reusing", line));
        Assert.Equal(comparison.Runs.Select(r => r.Metrics["test/Recall@1"]), again.Runs.Select(r => r.Metrics["test/Recall@1"]));
        Assert.Equal(before, again.Runs.Select(r => File.GetLastWriteTimeUtc(Path.Combine(r.Folder, StudyRunner.ResultFileName))));
    }

    [Fact]
    public void AChangedConfigIsNotReused()
    {
        string config = TinyConfig(_temp.Path);
        var first = new StudyRunner(new StudyOptions { ConfigPath = config, Seeds = new long[] { 0 }, Folder = _temp.File("study") });
        var run = first.RunOne(StudyArm.Parse("a"), 0);
        string stored = File.ReadAllText(Path.Combine(run.Folder, StudyRunner.ResultFileName));
        Assert.Equal(run.Metrics["test/Recall@1"], JsonDocument.Parse(stored).RootElement.GetProperty("Metrics").GetProperty("test/Recall@1").GetDouble());

        var logged = new List<string>();
        var changed = new StudyRunner(new StudyOptions { ConfigPath = config, Overrides = new[] { "optimizer.lr=0.01" }, Seeds = new long[] { 0 }, Folder = _temp.File("study") }) { Log = logged.Add };
        // The run folder holds a finished run of another configuration: TrainingRun refuses to mix them.
        Assert.Throws<Xbm.Configuration.ConfigException>(() => changed.RunOne(StudyArm.Parse("a"), 0));
        Assert.DoesNotContain(logged, l => l.Contains("reusing"));
    }

    [Fact]
    public void ArmsParseAndRejectBadInput()
    {
        var arm = StudyArm.Parse("late start: memory.start_iteration=500; data.validation_classes=[2, 4]");
        Assert.Equal("late start", arm.Name);
        Assert.Equal(new[] { "memory.start_iteration=500", "data.validation_classes=[2, 4]" }, arm.Overrides);
        Assert.Equal("late-start", arm.Slug);
        Assert.Empty(StudyArm.Parse("plain").Overrides);
        Assert.Throws<ArgumentException>(() => StudyArm.Parse(": a=b"));
        Assert.Contains("not key=value", Assert.Throws<ArgumentException>(() => StudyArm.Parse("x: nonsense")).Message);
        string noColon = Assert.Throws<ArgumentException>(() => StudyArm.Parse("late memory.start_iteration=500")).Message;
        Assert.Contains("arm 'late memory.start_iteration=500'", noColon);
        Assert.Contains("\"NAME: key=value; ...\"", noColon);
        var runner = new StudyRunner(new StudyOptions { ConfigPath = "unused.yaml", Folder = _temp.Path });
        Assert.Contains("share the folder", Assert.Throws<ArgumentException>(() => runner.Run(new[] { StudyArm.Parse("a b"), StudyArm.Parse("a-b") })).Message);
    }
}
