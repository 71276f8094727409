using System.Text.RegularExpressions;
using Xbm.Reporting;

namespace Xbm.Tests.Reporting;

public sealed class RunReportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"xbm-report-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void TwoRunsGiveTablesPlotsAndImagesThatResolve()
    {
        string baseline = SyntheticRuns.Write(_folder, "baseline", seed: 0, memory: false, drift: false);
        string xbm = SyntheticRuns.Write(_folder, "xbm", seed: 0, memory: true, drift: true, finalRecall: 0.85);
        var result = RunReport.Write([baseline, xbm], Path.Combine(_folder, "out"));

        string html = File.ReadAllText(result.HtmlPath);
        foreach (string plot in new[] { "loss.png", "batch_loss.png", "memory_loss.png", "loss_per_pair.png", "eval_recall_at_1.png", "eval_map_at_r.png",
                     "memory_fill.png", "memory_age.png", "memory_positives.png", "memory_negatives.png", "memory_similarity.png", "drift_xbm.png" })
        {
            Assert.Contains(Path.Combine(_folder, "out", plot), result.Images);
            Assert.Contains($"src=\"{plot}\"", html);
        }
        Assert.Equal(result.Images.Count, ReportAssertions.AllImagesResolve(result.HtmlPath));
        Assert.Equal(result.Tables, Regex.Matches(html, "<table").Count);

        // Final metrics: the last evaluation (iteration 200) of each run, as percentages.
        var finalTable = Regex.Match(html, "<table id=\"final-metrics-table\">.*?</table>", RegexOptions.Singleline).Value;
        Assert.Matches("<td>baseline</td><td class=\"num\">200</td><td class=\"num\">80.00</td><td class=\"num\">85.00</td><td class=\"num\">40.00</td>", finalTable);
        Assert.Contains("<td>xbm</td><td class=\"num\">200</td><td class=\"num\">85.00</td>", finalTable);
        // Configuration differences name the differing keys, with the shorthand "memory: none" read as memory.kind.
        var differences = Regex.Match(html, "<table id=\"config-differences\">.*?</table>", RegexOptions.Singleline).Value;
        Assert.Contains("<td>memory.kind</td><td>none</td><td>fifo</td>", differences);
        Assert.Contains("<td>memory.start_iteration</td><td>—</td><td>50</td>", differences);
        Assert.DoesNotContain("<td>loss.name</td>", differences);
        // No checkpoint: the grid is left out with a note instead of failing the report.
        Assert.Contains(result.Notes, n => n.Contains("baseline") && n.Contains("no checkpoint"));
        Assert.Contains("no checkpoint", html);
    }

    [Fact]
    public void InlineImagesMakeOneFileAndAbsentMemoryAndDriftAreSaid()
    {
        string baseline = SyntheticRuns.Write(_folder, "baseline", seed: 0, memory: false, drift: false);
        var result = RunReport.Write([baseline], Path.Combine(_folder, "out"), new ReportOptions { InlineImages = true, RetrievalGrids = false });
        string html = File.ReadAllText(result.HtmlPath);
        var sources = ReportAssertions.ImageSources(html);
        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.StartsWith("data:image/png;base64,", s));
        Assert.Equal(sources.Count, ReportAssertions.AllImagesResolve(result.HtmlPath));
        Assert.Contains("No run used a cross-batch memory", html);
        Assert.Contains("Drift was not recorded", html);
        Assert.DoesNotContain("memory_fill.png", string.Join(",", result.Images));
        Assert.Contains("stored configuration (config.yaml)", html);
        Assert.DoesNotContain("<script src", html);
        Assert.DoesNotContain("<link", html);
    }

    [Fact]
    public void RunsThatDifferOnlyInTheSeedFormAnArm()
    {
        var runs = new[]
        {
            SyntheticRuns.Write(_folder, "baseline-seed0", seed: 0, memory: false, drift: false),
            SyntheticRuns.Write(_folder, "baseline-seed1", seed: 1, memory: false, drift: false),
            SyntheticRuns.Write(_folder, "xbm-seed0", seed: 0, memory: true, drift: false),
        };
        var result = RunReport.Write(runs, Path.Combine(_folder, "out"), new ReportOptions { RetrievalGrids = false });
        string arms = System.Net.WebUtility.HtmlDecode(Regex.Match(File.ReadAllText(result.HtmlPath), "<table id=\"arms-table\">.*?</table>", RegexOptions.Singleline).Value);
        // Recall@1 of the two baseline seeds: 80.0 and 80.1 → mean 80.05, sample std 0.0707.
        Assert.Contains("<td>baseline</td><td class=\"num\">2</td><td class=\"num\">80.05 ± 0.07</td>", arms);
        Assert.Contains("<td>xbm</td><td class=\"num\">1</td><td class=\"num\">80.00</td>", arms);
    }

    [Fact]
    public void BadLogsAndFoldersAreErrorsNamingTheFile()
    {
        string run = SyntheticRuns.Write(_folder, "run", seed: 0, memory: false, drift: true);
        var lines = File.ReadAllLines(Path.Combine(run, "drift.csv"));
        lines[2] = "20,10,abc";
        File.WriteAllLines(Path.Combine(run, "drift.csv"), lines);
        var error = Assert.Throws<InvalidDataException>(() => RunReport.Write([run], Path.Combine(_folder, "out")));
        Assert.Contains("drift.csv:3", error.Message);
        Assert.Contains("'abc' is not a number", error.Message);

        File.WriteAllText(Path.Combine(run, "drift.csv"), "iteration,drift\n1,0.5\n");
        error = Assert.Throws<InvalidDataException>(() => RunReport.Write([run], Path.Combine(_folder, "out")));
        Assert.Contains("drift.csv:1: no column 'delta'", error.Message);

        string missing = Path.Combine(_folder, "nothing-here");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => RunReport.Write([missing], Path.Combine(_folder, "out"))).Message);
        string empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        Assert.Contains("not a run folder", Assert.Throws<FileNotFoundException>(() => RunReport.Write([empty], Path.Combine(_folder, "out"))).Message);
    }

    [Fact]
    public void OneEvaluationPerRunGivesOneBarChartInsteadOfOnePointCurves()
    {
        string baseline = SyntheticRuns.Write(_folder, "baseline", seed: 0, memory: false, drift: false, iterations: 50);
        string xbm = SyntheticRuns.Write(_folder, "xbm", seed: 0, memory: true, drift: false, iterations: 50, finalRecall: 0.85);
        var result = RunReport.Write([baseline, xbm], Path.Combine(_folder, "out"), new ReportOptions { RetrievalGrids = false });
        var images = result.Images.Select(Path.GetFileName).ToList();
        Assert.Contains("eval_final.png", images);
        Assert.DoesNotContain(images, i => i!.StartsWith("eval_recall", StringComparison.Ordinal) || i.StartsWith("eval_map", StringComparison.Ordinal));
        Assert.Contains("each run was evaluated once", File.ReadAllText(result.HtmlPath));
        Assert.Equal(result.Images.Count, ReportAssertions.AllImagesResolve(result.HtmlPath));
    }

    [Fact]
    public void ASingleLoggedStepIsDrawnAsBars()
    {
        string baseline = SyntheticRuns.Write(_folder, "baseline", seed: 0, memory: false, drift: false, iterations: 10);
        var result = RunReport.Write([baseline], Path.Combine(_folder, "out"), new ReportOptions { RetrievalGrids = false });
        Assert.Contains(Path.Combine(_folder, "out", "loss.png"), result.Images);
        Assert.Contains("one value per run (iteration 10), so bars instead of curves", File.ReadAllText(result.HtmlPath));
    }
}
