using System.Globalization;
using System.Text.RegularExpressions;
using Xbm.Data;
using Xbm.Reporting;
using Xbm.Tests.Reporting;

namespace Xbm.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class EvalReportCommandTests(TinyRuns runs)
{
    [Fact]
    public void EvalFollowsTheProtocolWithNmiAndRecallPerClass()
    {
        string folder = runs.Scratch("eval");
        string csv = Path.Combine(folder, "classes.csv");
        string output = CliRunner.Succeeds("eval", "--checkpoint", runs.Xbm, "--nmi", "--per-class", "--per-class-csv", csv);
        Assert.Contains("protocol 'test': 150 images searched against each other (self excluded), Recall@1,2,4,8", output);
        Assert.Contains("Recall@1 per class, protocol 'test'", output);
        Assert.Contains(FashionMnist.ClassNames[7], output);

        var nmi = Regex.Match(output, @"NMI\s*│\s*([0-9.]+)");
        Assert.True(nmi.Success, output);
        double value = double.Parse(nmi.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(value, 0, 100);

        var rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["5", "6", "7", "8", "9"], rows.Select(r => r[1]));
        Assert.All(rows, r => Assert.Equal("30", r[2]));
        // Equal-sized classes: the mean of the per-class Recall@1 is the overall Recall@1.
        double mean = rows.Average(r => double.Parse(r[3], CultureInfo.InvariantCulture));
        var recall = Regex.Match(output, @"Recall@1\s*│\s*([0-9.]+)");
        Assert.Equal((100 * mean).ToString("F2", CultureInfo.InvariantCulture), recall.Groups[1].Value);
    }

    [Fact]
    public void ReportOfTwoTrainedRunsHasRetrievalGridsAndEveryImageResolves()
    {
        string folder = Path.Combine(runs.Scratch("report"), "out");
        string output = CliRunner.Succeeds("report", runs.NoMemory, runs.Xbm, "--out", folder, "--grid-queries", "4", "--grid-k", "3");
        Assert.Contains("report: ", output);
        string html = Path.Combine(folder, "report.html");
        int images = ReportAssertions.AllImagesResolve(html);
        string page = File.ReadAllText(html);
        foreach (string file in new[] { "retrieval_no_memory.png", "retrieval_xbm.png", "memory_fill.png", "eval_recall_at_1.png", "loss.png" })
            Assert.Contains($"src=\"{file}\"", page);
        Assert.DoesNotContain("no retrieval grid", page);
        Assert.Contains("tiny_no_memory", page); // configuration differences: the names
        Assert.Equal(images, Regex.Matches(page, "<img ").Count);

        // The grid: 4 query rows of 1 + 3 framed cells, every item framed green or red.
        using var grid = SkiaSharp.SKBitmap.Decode(Path.Combine(folder, "retrieval_xbm.png"));
        int cell = RetrievalGrid.CellSide(96);
        Assert.Equal(2 * 8 + 4 * cell + 3 * 4, grid.Height);
        for (int row = 0; row < 4; row++)
            for (int j = 0; j < 3; j++)
            {
                var pixel = grid.GetPixel(8 + cell + 16 + j * (cell + 4), 8 + row * (cell + 4));
                var colour = (pixel.Red, pixel.Green, pixel.Blue);
                Assert.True(colour == RetrievalGrid.CorrectColour || colour == RetrievalGrid.WrongColour, $"row {row}, item {j}: {colour}");
            }
        // The grid table under it lists the Fashion-MNIST class names.
        Assert.Matches("✓|✗", System.Net.WebUtility.HtmlDecode(page));
    }

    [Fact]
    public void ReportOfAFolderRunNamesTheClassFolders()
    {
        string folder = Path.Combine(runs.Scratch("report-folder"), "out");
        CliRunner.Succeeds("report", runs.Files, "--out", folder, "--grid-queries", "2", "--grid-k", "2");
        string page = System.Net.WebUtility.HtmlDecode(File.ReadAllText(Path.Combine(folder, "report.html")));
        Assert.DoesNotContain("no retrieval grid", page);
        Assert.Matches(@"[34] \((dog|eel)\)", page);
    }

    [Fact]
    public void MissingFilesAreNamedInTheErrors()
    {
        string folder = runs.Scratch("errors");
        string nowhere = Path.Combine(folder, "no-such-run");
        Assert.Contains(nowhere, CliRunner.FailsWithUserError("embed", "--checkpoint", nowhere, "--out", Path.Combine(folder, "v.npy")));
        Assert.Contains(nowhere, CliRunner.FailsWithUserError("eval", "--checkpoint", nowhere));
        Assert.Contains(nowhere, CliRunner.FailsWithUserError("report", nowhere));

        // A run folder whose training has not written a checkpoint yet.
        string fresh = Directory.CreateDirectory(Path.Combine(folder, "fresh")).FullName;
        File.Copy(Path.Combine(runs.Xbm, "config.yaml"), Path.Combine(fresh, "config.yaml"));
        Assert.Contains(Path.Combine(fresh, "checkpoints", "latest"), CliRunner.FailsWithUserError("embed", "--checkpoint", fresh, "--out", Path.Combine(folder, "v.npy")));

        string index = Path.Combine(folder, "missing.npy");
        string image = Path.Combine(folder, "missing.png");
        Assert.Contains(index, CliRunner.FailsWithUserError("search", "--checkpoint", runs.Xbm, "--index", index, "--query", Path.Combine(TinyRuns.FolderDataset, "test", "dog", "dog1.png")));
        Assert.Contains(image, CliRunner.FailsWithUserError("search", "--checkpoint", runs.Xbm, "--index", index, "--query", image));
        File.WriteAllText(Path.Combine(folder, "list.txt"), "# first line\nmissing.png\n");
        Assert.Contains($"{Path.Combine(folder, "list.txt")}:2: image not found: {image}",
            CliRunner.FailsWithUserError("search", "--checkpoint", runs.Xbm, "--index", index, "--queries", Path.Combine(folder, "list.txt")));
        Assert.Contains("--query IMAGE", CliRunner.FailsWithUserError("search", "--checkpoint", runs.Xbm, "--index", index));
    }
}
