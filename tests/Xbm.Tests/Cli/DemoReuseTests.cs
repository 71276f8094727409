using Xbm.Tests.Data;

namespace Xbm.Tests.Cli;

/// <summary>Issue 12 (A3): running `xbm demo` again reuses the finished runs' recorded metrics instead of a table of dashes.</summary>
[Collection("console")]
public sealed class DemoReuseTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-demo");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Configs()
    {
        string configs = Directory.CreateDirectory(Path.Combine(_folder, "configs")).FullName;
        string common = $"""
            seed: 0
            iterations: 8
            threads: 1
            data: {"{"}dataset: fashion_mnist, root: "{FashionFixture.Root}", max_per_class: 20{"}"}
            model: {"{"}backbone: small_cnn, dimension: 8, width: 4{"}"}
            sampler: {"{"}classes_per_batch: 2, images_per_class: 4{"}"}
            loss: contrastive
            optimizer: {"{"}name: adam, lr: 0.001{"}"}
            evaluation: {"{"}every: 0{"}"}
            checkpoint: {"{"}every: 0, keep: 1{"}"}
            logging: {"{"}every: 4, tensorboard: false{"}"}

            """;
        File.WriteAllText(Path.Combine(configs, "no_memory.yaml"), common + "memory: none\n");
        File.WriteAllText(Path.Combine(configs, "xbm.yaml"), common + "memory: {kind: fifo, start_iteration: 3}\n");
        return configs;
    }

    /// <summary>The comparison table's rows of the two arms (progress lines name the arms too, but are not in the table).</summary>
    private static List<string> TableRows(string output) => output.Split('\n')
        .Where(l => l.TrimStart().StartsWith('│') && (l.Contains("no memory", StringComparison.Ordinal) || l.Contains("XBM", StringComparison.Ordinal)))
        .Select(l => l.TrimEnd()).ToList();

    [Fact]
    public void ASecondDemoReusesTheRecordedMetrics()
    {
        string configs = Configs(), demo = Path.Combine(_folder, "demo");
        string first = CliRunner.Succeeds("demo", "--seeds", "1", "--configs", configs, "--out", demo);
        var rows = TableRows(first);
        Assert.True(rows.Count == 2, $"expected the two arms' rows:\n{string.Join("\n", rows)}");
        Assert.All(rows, r => Assert.DoesNotContain(" - ", r));
        Assert.DoesNotContain("reusing", first);

        string second = CliRunner.Succeeds("demo", "--seeds", "1", "--configs", configs, "--out", demo);
        Assert.Equal(rows, TableRows(second));
        Assert.Contains("no memory, seed 0: finished earlier; reusing its recorded metrics", second);
        Assert.Contains("XBM, seed 0: finished earlier; reusing its recorded metrics", second);
    }
}
