namespace Xbm.Tests.Cli;

/// <summary>
/// `--device` on every command that builds a model, with configs that also name a device (issue 12: the
/// config's device key was reported as unknown whenever the command line overrode it).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class DeviceOptionTests(TinyRuns runs)
{
    private string Config(string folder, string name, int iterations = 4)
    {
        string path = Path.Combine(folder, name + ".yaml");
        File.WriteAllText(path, TinyRuns.FashionYaml(name, "memory:\n  kind: fifo\n  start_iteration: 2\n", iterations));
        Assert.Contains("device: cpu", File.ReadAllText(path));
        return path;
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("auto")]
    public void TrainAcceptsDevice(string device)
    {
        string folder = runs.Scratch("device-train");
        CliRunner.Succeeds("train", "--config", Config(folder, "tiny"), "--out", Path.Combine(folder, "run"), "--device", device);
    }

    [Fact]
    public void EvalAcceptsDevice() =>
        Assert.Contains("Recall@1", CliRunner.Succeeds("eval", "--checkpoint", runs.Xbm, "--device", "cpu"));

    [Fact]
    public void EmbedAcceptsDevice()
    {
        string folder = runs.Scratch("device-embed");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--out", Path.Combine(folder, "v.npy"), "--device", "cpu");
        Assert.True(File.Exists(Path.Combine(folder, "v.npy")));
    }

    [Fact]
    public void SearchAcceptsDevice()
    {
        string folder = runs.Scratch("device-search");
        string index = Path.Combine(folder, "v.npy");
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--out", index);
        string query = Path.Combine(TinyRuns.FolderDataset, "test", "dog", "dog1.png");
        Assert.Contains("dog1.png", CliRunner.Succeeds("search", "--checkpoint", runs.Files, "--index", index, "--query", query, "--k", "2", "--device", "cpu"));
    }

    [Fact]
    public void DriftAcceptsDevice()
    {
        string folder = runs.Scratch("device-drift");
        CliRunner.Succeeds("drift", "--config", Config(folder, "tiny"), "--out", Path.Combine(folder, "run"), "--every", "2", "--deltas", "2", "--probes", "8", "--device", "cpu");
        Assert.True(File.Exists(Path.Combine(folder, "run", "drift.png")));
    }

    [Fact]
    public void DemoAcceptsDevice()
    {
        string folder = runs.Scratch("device-demo");
        string configs = Directory.CreateDirectory(Path.Combine(folder, "configs")).FullName;
        File.WriteAllText(Path.Combine(configs, "no_memory.yaml"), TinyRuns.FashionYaml("demo_no_memory", "memory: none\n", 4));
        File.WriteAllText(Path.Combine(configs, "xbm.yaml"), TinyRuns.FashionYaml("demo_xbm", "memory:\n  kind: fifo\n  start_iteration: 2\n", 4));
        CliRunner.Succeeds("demo", "--configs", configs, "--seeds", "1", "--out", Path.Combine(folder, "demo"), "--set", $"data.root={TestPaths.FashionMnistFixture}", "--device", "cpu");
        Assert.True(File.Exists(Path.Combine(folder, "demo", "summary.md")));
    }

    [Fact]
    public void StudyAcceptsDevice()
    {
        string folder = runs.Scratch("device-study");
        CliRunner.Succeeds("study", "arms", "--config", Config(folder, "tiny"), "--arm", "as is", "--seeds", "1", "--splits", "test",
            "--out", Path.Combine(folder, "study"), "--device", "cpu");
        Assert.True(File.Exists(Path.Combine(folder, "study", "summary.md")));
    }

    [Fact]
    public void ReportAcceptsDevice()
    {
        string folder = Path.Combine(runs.Scratch("device-report"), "out");
        CliRunner.Succeeds("report", runs.Xbm, "--out", folder, "--grid-queries", "2", "--grid-k", "2", "--device", "cpu");
        Assert.Contains("retrieval_", File.ReadAllText(Path.Combine(folder, "report.html")));
    }
}
