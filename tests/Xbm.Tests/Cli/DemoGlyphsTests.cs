using Xbm.Tests.Data.Glyphs;

namespace Xbm.Tests.Cli;

/// <summary>Issue 13 §4: `xbm demo` on the glyph benchmark, with the shipped configs/glyphs arms.</summary>
[Collection(CliCollection.Name)]
public sealed class DemoGlyphsTests(TinyRuns runs)
{
    private static readonly string Designs = string.Join(",", GlyphFontsFactAttribute.TestDesigns);

    private static string MakeTinyBenchmark(string scratch)
    {
        string data = Path.Combine(scratch, "glyphs");
        CliRunner.Succeeds("datasets", "make", "glyphs", "--out", data, "--size", "16", "--train-classes", "20", "--test-classes", "10",
            "--min-designs", "5", "--designs", Designs);
        return data;
    }

    [GlyphFontsFact]
    public void TheDemoRunsTheShippedGlyphArmsOnAFolderOfGlyphImages()
    {
        string scratch = runs.Scratch("demo-glyphs");
        string data = MakeTinyBenchmark(scratch);
        string demo = Path.Combine(scratch, "demo");
        string output = CliRunner.Succeeds("demo", "--seeds", "1", "--out", demo, "--set", $"data.root={data}", "--set", "iterations=204",
            "--set", "evaluation.every=0", "--set", "checkpoint.every=0", "--set", "logging.every=50",
            "--set", "logging.tensorboard=false", "--set", "model.width=4", "--set", "model.dimension=8", "--set", "data.image_size=16",
            "--set", "data.resize=16");
        Assert.Contains("Glyphs zero-shot", output);
        string summary = File.ReadAllText(Path.Combine(demo, "summary.md"));
        Assert.Contains("| no memory |", summary);
        Assert.Contains("| XBM |", summary);
        // The XBM arm is the shipped preset: its stored config has the memory and the preset's weight.
        string stored = File.ReadAllText(Path.Combine(demo, "xbm-seed0", "config.yaml"));
        Assert.Contains("kind: fifo", stored);
        Assert.Contains("weight: 0.03", stored);
        Assert.Contains("XBM s0: memory starts at iteration 200", output); // the preset's warm-up; 204 iterations let it run
    }

    [GlyphFontsFact]
    public void ABenchmarkMadeWithOtherOptionsIsNamedNotTrainedOn()
    {
        string scratch = runs.Scratch("demo-glyphs-other");
        string data = MakeTinyBenchmark(scratch);
        string output = CliRunner.FailsWithUserError("demo", "--data", data, "--out", Path.Combine(scratch, "demo"));
        Assert.Contains(Path.Combine(data, "manifest.json"), output);
        Assert.Contains("made with other options (train 14, validation 6, test 10 characters", output);
        Assert.False(Directory.Exists(Path.Combine(scratch, "demo", "xbm-seed0")));
    }
}
