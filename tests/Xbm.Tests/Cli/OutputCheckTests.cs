namespace Xbm.Tests.Cli;

/// <summary>
/// Outputs that cannot be written are errors before any computation (issue 12: `eval --per-class-csv` to a
/// read-only folder evaluated for 11 s first). Each case's output must hold no sign of work done.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class OutputCheckTests(TinyRuns runs)
{
    [Theory]
    [InlineData("eval --checkpoint {run} --per-class-csv {locked}/classes.csv", "--per-class-csv {locked}/classes.csv", "protocol")]
    [InlineData("embed --checkpoint {run} --out {locked}/vectors.npy", "--out {locked}/vectors.npy", "embedded")]
    [InlineData("search --checkpoint {run} --index {index} --query {image} --out {locked}/found.csv", "--out {locked}/found.csv", "neighbours")]
    [InlineData("report {run} --out {locked}/report", "--out {locked}/report", "tables)")]
    [InlineData("train --config {config} --out {locked}/run", "--out {locked}/run", "Recall@1")]
    [InlineData("drift --config {config} --out {locked}/run", "--out {locked}/run", "drift:")]
    [InlineData("study arms --config {config} --arm a --seeds 1 --out {locked}/study", "--out {locked}/study", "summary:")]
    [InlineData("demo --configs {scratch} --seeds 1 --set data.root={fixture} --out {locked}/demo", "--out {locked}/demo", "summary:")]
    public void AnUnwritableOutputIsAnErrorBeforeAnyWork(string command, string named, string work)
    {
        string scratch = runs.Scratch("output-check");
        string locked = TestPaths.UnwritableFolder(scratch);
        string config = Path.Combine(scratch, "tiny.yaml");
        File.WriteAllText(config, TinyRuns.FashionYaml("tiny", "memory: none\n", 4));
        File.WriteAllText(Path.Combine(scratch, "no_memory.yaml"), TinyRuns.FashionYaml("tiny", "memory: none\n", 4));
        File.WriteAllText(Path.Combine(scratch, "xbm.yaml"), TinyRuns.FashionYaml("tiny", "memory: fifo\n", 4));
        string index = Path.Combine(scratch, "index.npy");
        if (command.Contains("{index}", StringComparison.Ordinal))
            CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--out", index);
        string Fill(string text) => text.Replace("{run}", runs.Xbm, StringComparison.Ordinal).Replace("{locked}", locked, StringComparison.Ordinal)
            .Replace("{scratch}", scratch, StringComparison.Ordinal).Replace("{config}", config, StringComparison.Ordinal)
            .Replace("{index}", index, StringComparison.Ordinal).Replace("{fixture}", TestPaths.FashionMnistFixture, StringComparison.Ordinal)
            .Replace("{image}", Path.Combine(TinyRuns.FolderDataset, "test", "dog", "dog1.png"), StringComparison.Ordinal);

        string output = CliRunner.FailsWithUserError(command.Split(' ').Select(Fill).ToArray());

        Assert.Contains($"error: {Fill(named)}: ", output);
        Assert.Contains("not writable", output);
        Assert.DoesNotContain(work, output);
    }
}
