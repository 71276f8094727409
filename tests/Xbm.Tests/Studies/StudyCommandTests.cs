using System.Globalization;
using Xbm.Cli;
using Xbm.Cli.Commands;
using Xbm.Configuration;
using Xbm.Tests.Data;

namespace Xbm.Tests.Studies;

/// <summary>`xbm drift` and `xbm study` end to end on the Fashion-MNIST fixture with tiny budgets.</summary>
public sealed class StudyCommandTests : IDisposable
{
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void DriftWritesItsCsvAndPlot()
    {
        string config = StudyRunnerTests.TinyConfig(_temp.Path);
        string output = _temp.File("drift");
        Assert.Equal(0, CliApp.Run(["drift", "--config", config, "--set", "iterations=8", "--every", "2", "--deltas", "2,4,100", "--probes", "16", "--out", output]));
        var rows = File.ReadAllLines(Path.Combine(output, "drift.csv"));
        Assert.Equal("iteration,delta,drift", rows[0]);
        // Δt = 100 is never reached in 8 iterations; 2 and 4 are measured at every even iteration they fit.
        var keys = rows.Skip(1).Select(r => r.Split(',')).Select(f => (long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(new (long, long)[] { (2, 2), (4, 2), (4, 4), (6, 2), (6, 4), (8, 2), (8, 4) }, keys);
        Assert.True(new FileInfo(Path.Combine(output, "drift.png")).Length > 1000);
        Assert.False(File.Exists(Path.Combine(output, "evaluations.csv")) && File.ReadAllLines(Path.Combine(output, "evaluations.csv")).Length > 1,
            "drift alone does not evaluate");
    }

    [Fact]
    public void DriftDefaultsAreBoundedByTheIterations()
    {
        var root = ConfigLoader.Parse("iterations: 300\n", "x.yaml");
        Assert.Equal(new[] { "drift.every=50", "drift.deltas=[10, 100]" }, DriftCommand.DriftOverrides(root, null, null, null));
        var own = ConfigLoader.Parse("iterations: 300\ndrift: {every: 5, deltas: [7]}\n", "x.yaml");
        Assert.Empty(DriftCommand.DriftOverrides(own, null, null, null));
        Assert.Equal(new[] { "drift.every=3", "drift.deltas=[4]", "drift.probes=9" }, DriftCommand.DriftOverrides(own, 3, "4", 9));
    }

    [Fact]
    public void MemorySizeStudyWritesTableCsvAndPlot()
    {
        string config = StudyRunnerTests.TinyConfig(_temp.Path);
        string output = _temp.File("size");
        Assert.Equal(0, CliApp.Run(["study", "memory-size", "--config", config, "--sizes", "0,50", "--seeds", "1", "--set", "memory.start_iteration=2", "--out", output]));
        string summary = File.ReadAllText(Path.Combine(output, "summary.md"));
        Assert.Contains("| M=0 (no memory) | 1 |", summary);
        Assert.Contains("| M=50 | 1 |", summary);
        Assert.Contains("validation R@1 %", summary);
        Assert.Contains("test R@1 %", summary);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(output, "summary.csv")).Length);
        Assert.True(new FileInfo(Path.Combine(output, "recall_vs_memory_size.png")).Length > 1000);
        Assert.Contains("size: 50", File.ReadAllText(Path.Combine(output, "m-50-seed0", "config.yaml")));
    }

    [Fact]
    public void MemoryKindStudyRunsTheChosenKinds()
    {
        string config = StudyRunnerTests.TinyConfig(_temp.Path);
        string output = _temp.File("kind");
        Assert.Equal(0, CliApp.Run(["study", "memory-kind", "--config", config, "--kinds", "none,xbm,momentum,adaptive_xbn", "--seeds", "1", "--set", "memory.start_iteration=2", "--out", output]));
        string summary = File.ReadAllText(Path.Combine(output, "summary.md"));
        foreach (string arm in new[] { "no memory", "XBM (memory loss only)", "momentum bank", "adaptive XBN" })
            Assert.Contains($"| {arm} | 1 |", summary);
        Assert.True(new FileInfo(Path.Combine(output, "recall_by_memory_kind.png")).Length > 1000);
        Assert.Contains("memory_loss_only: true", File.ReadAllText(Path.Combine(output, "xbm-memory-loss-only-seed0", "config.yaml")));
        Assert.Equal(2, CliApp.Run(["study", "memory-kind", "--config", config, "--kinds", "fifo", "--out", output]));
    }

    [Fact]
    public void MemoryArmsKeepTheConfigsMemorySettings()
    {
        Assert.True(StudyCommand.HasMemory(ConfigLoader.Parse("memory: {kind: xbn, size: 10}\n", "x.yaml")));
        Assert.False(StudyCommand.HasMemory(ConfigLoader.Parse("memory: none\n", "x.yaml")));
        Assert.False(StudyCommand.HasMemory(ConfigLoader.Parse("seed: 1\n", "x.yaml")));
        Assert.Equal(new[] { "memory.size=7" }, StudyCommand.SizeArm(7, configHasMemory: true).Overrides);
        Assert.Equal(new[] { "memory.kind=fifo", "memory.size=7" }, StudyCommand.SizeArm(7, configHasMemory: false).Overrides);
        Assert.Equal(new[] { "memory=none" }, StudyCommand.SizeArm(0, configHasMemory: true).Overrides);
        Assert.Throws<ArgumentException>(() => StudyCommand.ParseSizes("10,-1"));
    }
}
