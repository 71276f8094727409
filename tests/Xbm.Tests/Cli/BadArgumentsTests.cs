using System.Text.RegularExpressions;

namespace Xbm.Tests.Cli;

/// <summary>
/// Every command with bad arguments: one `error:` line, exit code 2, and neither a stack trace nor an exception
/// type name (issue 12: `eval --split validation` on data without a validation split crashed with exit 134).
/// </summary>
[Collection(CliCollection.Name)]
public sealed partial class BadArgumentsTests(TinyRuns runs)
{
    // Placeholders: {run} a trained Fashion run, {scratch} a fresh folder, {config} a valid tiny config in it,
    // {image} an existing image, {random} a file of random bytes.
    public static TheoryData<string> Cases() => new()
    {
        "train --config {scratch}/missing.yaml",
        "train --config {config} --set iterations --out {scratch}/r",
        "train --config {config} --device gpu --out {scratch}/r",
        "train --config {config} --bogus",
        "train --config {scratch}",
        "eval --checkpoint {scratch}/no-such-run",
        "eval --checkpoint {run} --split validation",
        "eval --checkpoint {run} --split nonsense",
        "eval --checkpoint {run} --per-class-csv {scratch}",
        "embed --checkpoint {run} --split validation --out {scratch}/v.npy",
        "embed --checkpoint {scratch}/no-such-run --out {scratch}/v.npy",
        "embed --checkpoint {run} --protocol nonsense --out {scratch}/v.npy",
        "embed --checkpoint {run}",
        "search --checkpoint {run} --index {scratch}/missing.npy --query {image}",
        "search --checkpoint {run} --index {scratch}/missing.npy --query {image} --k 0",
        "search --checkpoint {run} --index {scratch}/missing.npy",
        "search --checkpoint {run} --index {scratch} --query {image}",
        "search --checkpoint {run} --index {scratch}/missing.npy --query {image} --k many",
        "drift --config {scratch}/missing.yaml",
        "drift --config {config} --every 0 --out {scratch}/r",
        "drift --config {config} --deltas abc --out {scratch}/r",
        "demo --seeds 0 --out {scratch}/d",
        "demo --configs {scratch}/no-configs --set data.root={scratch} --out {scratch}/d",
        "study memory-size --config {config} --sizes abc --out {scratch}/s",
        "study memory-kind --config {config} --kinds bogus --out {scratch}/s",
        "study arms --config {config}",
        "study arms --config {config} --arm x --seeds 0 --out {scratch}/s",
        "report {scratch}/no-such-run",
        "report {run} --grid-k 0 --out {scratch}/rep",
        "datasets check --dataset nonsense --root {scratch}",
        "datasets check --dataset folder --root {scratch}/nope",
        "datasets make glyphs --size 32",
        "datasets make glyphs --out {scratch}/g --size many",
        "datasets make glyphs --out {scratch}/g --train-classes 0",
        "datasets make glyphs --out {scratch}/g --min-designs 40",
        "datasets make glyphs --out {scratch}/g --font-root {scratch}",
        "datasets make glyphs --out {config}",
        "datasets make glyphs --out {scratch}/g --layout zip",
        "weights inspect {scratch}/missing.safetensors",
        "weights inspect {scratch}",
        "weights inspect {random}",
        "weights inspect {random} --model nonsense",
        "nonsense",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadArgumentsGiveOneErrorLineAndExitCode2(string command)
    {
        string scratch = runs.Scratch("bad-arguments");
        string config = Path.Combine(scratch, "tiny.yaml");
        File.WriteAllText(config, TinyRuns.FashionYaml("tiny", "memory: none\n", 4));
        string random = Path.Combine(scratch, "random.safetensors");
        var bytes = new byte[1000];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(random, bytes);
        var args = command.Split(' ').Select(a => a
            .Replace("{run}", runs.Xbm, StringComparison.Ordinal)
            .Replace("{scratch}", scratch, StringComparison.Ordinal)
            .Replace("{config}", config, StringComparison.Ordinal)
            .Replace("{random}", random, StringComparison.Ordinal)
            .Replace("{image}", Path.Combine(TinyRuns.FolderDataset, "test", "dog", "dog1.png"), StringComparison.Ordinal)).ToArray();

        var (code, output) = CliRunner.Run(args);

        Assert.True(code == 2, $"xbm {command} exited with {code}, expected 2:\n{output}");
        var lines = output.Split('\n');
        Assert.True(lines.Count(l => l.TrimStart().StartsWith("error:", StringComparison.Ordinal)) == 1, $"expected one error line:\n{output}");
        Assert.DoesNotContain(lines, l => l.StartsWith("   at ", StringComparison.Ordinal));
        Assert.False(ExceptionName().IsMatch(output), $"an exception type name in:\n{output}");
    }

    [Theory]
    [InlineData("search --checkpoint x --index y --k many", "error: --k: 'many' is not an integer (see: xbm search --help)")]
    [InlineData("demo --seeds x", "error: --seeds: 'x' is not an integer (see: xbm demo --help)")]
    [InlineData("report x --seed -3", "error: --seed: '-3' is not a non-negative integer (see: xbm report --help)")]
    [InlineData("eval --checkpoint x --split nonsense", "error: --split: Argument 'nonsense' not recognized. Must be one of: 'test' 'validation' (see: xbm eval --help)")]
    public void ParseErrorsNameTheOptionAndWhatItExpects(string command, string expected)
    {
        var (code, output) = CliRunner.Run(command.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal(expected, output.Trim());
    }

    [GeneratedRegex(@"\b\w*Exception\b")]
    private static partial Regex ExceptionName();
}
