using Xbm.Data.Glyphs;
using Xbm.Tests.Data.Glyphs;

namespace Xbm.Tests.Cli;

/// <summary>`xbm datasets make glyphs` in process: generate a small benchmark, then train on it with `xbm train`.</summary>
[Collection(CliCollection.Name)]
public sealed class MakeGlyphsCommandTests(TinyRuns runs)
{
    private static readonly string Designs = string.Join(",", GlyphFontsFactAttribute.TestDesigns);

    [GlyphFontsFact]
    public void MakeThenTrainOnTheGeneratedFolder()
    {
        string scratch = runs.Scratch("glyphs");
        string data = Path.Combine(scratch, "glyphs");
        string output = CliRunner.Succeeds("datasets", "make", "glyphs", "--out", data, "--size", "16", "--seed", "1",
            "--train-classes", "20", "--test-classes", "10", "--min-designs", "5", "--designs", Designs);
        Assert.Contains("ok: 8 typefaces of 6 designs", output);
        Assert.Contains("train", output);
        var manifest = GlyphDatasetManifest.Read(Path.Combine(data, "manifest.json"));
        Assert.Equal([14, 6, 10], manifest.Splits.Select(s => s.Classes)); // the benchmark's default validation share, 0.3
        Assert.Empty(Directory.GetDirectories(scratch, ".*")); // no temporary folder left behind

        string config = Path.Combine(scratch, "glyphs.yaml");
        File.WriteAllText(config, TinyRuns.Common("glyphs", 6, 2,
            $"data:\n  dataset: folder\n  root: {data}\n  image_size: 16\n  resize: 16\n  workers: 1\nmemory:\n  kind: fifo\n  start_iteration: 2\n"));
        string run = Path.Combine(scratch, "run");
        output = CliRunner.Succeeds("train", "--config", config, "--out", run);
        Assert.Contains("Recall@1", output);
        Assert.True(File.Exists(Path.Combine(run, "metrics.csv")), output);
    }

    [GlyphFontsFact]
    public void TheCommittedGlyphConfigTrainsOnAGeneratedBenchmark()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Xbm.slnx")))
            dir = dir.Parent;
        string config = Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Xbm.slnx) not found"), "configs", "glyphs", "xbm.yaml");
        string scratch = runs.Scratch("glyphs-config");
        string data = Path.Combine(scratch, "glyphs");
        CliRunner.Succeeds("datasets", "make", "glyphs", "--out", data, "--train-classes", "20", "--test-classes", "10", "--validation", "0.1",
            "--min-designs", "5", "--designs", Designs);
        string output = CliRunner.Succeeds("train", "--config", config, "--out", Path.Combine(scratch, "run"), "--set", $"data.root={data}",
            "--set", "iterations=4", "--set", "memory.start_iteration=2", "--set", "evaluation.every=4", "--set", "checkpoint.every=0",
            "--set", "logging.every=2", "--set", "logging.tensorboard=false", "--set", "model.width=4", "--set", "model.dimension=8");
        Assert.Contains("Recall@1", output);
    }

    [GlyphFontsFact]
    public void RegeneratingReplacesTheEarlierBenchmark()
    {
        string data = Path.Combine(runs.Scratch("glyphs-again"), "glyphs");
        string[] args = ["datasets", "make", "glyphs", "--out", data, "--size", "12", "--train-classes", "4", "--test-classes", "2", "--validation", "0", "--min-designs", "5", "--designs", Designs, "--layout", "csv"];
        CliRunner.Succeeds(args);
        CliRunner.Succeeds([.. args.Take(args.Length - 2), "--layout", "folder"]);
        Assert.False(File.Exists(Path.Combine(data, "manifest.csv")));
        Assert.True(Directory.Exists(Path.Combine(data, "train")));
    }

    [GlyphFontsFact]
    public void AMissingFontIsSkippedWithThePackageToInstall()
    {
        string scratch = runs.Scratch("glyphs-partial");
        string root = Path.Combine(scratch, "fonts");
        foreach (var font in GlyphFontsFactAttribute.TestFonts.Where(f => f.Design != "IPA Mincho"))
        {
            string link = GlyphTypefaces.PathOf(font, root);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, GlyphTypefaces.PathOf(font, GlyphFonts.DefaultRoot));
        }
        string output = CliRunner.Succeeds("datasets", "make", "glyphs", "--out", Path.Combine(scratch, "glyphs"), "--size", "12", "--train-classes", "4",
            "--test-classes", "2", "--validation", "0", "--min-designs", "5", "--designs", Designs, "--font-root", root);
        Assert.Contains($"skipped: {root}/opentype/ipafont-mincho/ipam.ttf (IPA Mincho Regular) is not installed: apt-get install -y --no-install-recommends fonts-ipafont-mincho", output);
        Assert.Contains("ok: 7 typefaces of 5 designs", output);
    }

    [Fact]
    public void MissingFontsAreAOneLineUserError()
    {
        string empty = runs.Scratch("no-fonts");
        string output = CliRunner.FailsWithUserError("datasets", "make", "glyphs", "--out", Path.Combine(empty, "out"), "--font-root", empty);
        Assert.Contains("error: glyphs: 0 of the 30 font designs are installed", output);
        Assert.Contains("apt-get install -y --no-install-recommends fonts-arphic-ukai", output);
        Assert.Single(output.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--designs", "Comic Sans", "--designs: unknown design 'Comic Sans'")]
    [InlineData("--size", "4", "--size: 4 is out of range [8, 1024]")]
    [InlineData("--validation", "1.5", "--validation: 1.5 is out of range [0, 1)")]
    [InlineData("--layout", "zip", "--layout")]
    public void BadOptionsAreUserErrors(string option, string value, string expected)
    {
        string output = CliRunner.FailsWithUserError("datasets", "make", "glyphs", "--out", Path.Combine(runs.Scratch("bad"), "out"), option, value);
        Assert.Contains(expected, output);
    }
}
