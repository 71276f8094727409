using Spectre.Console;
using Xbm.Cli;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Training;

namespace Xbm.Tests.Cli;

/// <summary>Issue 12 (C1, C3, C4): console output that reads right: losses apart and per pair, whole paths in titles, progress lines.</summary>
[Collection("console")]
public sealed class ConsoleOutputTests
{
    private static string Render(int width, Action write)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        AnsiConsole.Profile.Width = width;
        try
        {
            write();
            return writer.ToString();
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }

    [Fact]
    public void PathsAreShortenedByWholeFolders()
    {
        const string path = "/work/projects/xbm/runs/demo-quick/xbm-seed0/checkpoints/iter-00003000";
        Assert.Equal(path, ShortPath.Fit(path, 200));
        string fitted = ShortPath.Fit(path, 50);
        Assert.Equal("/work/…/xbm-seed0/checkpoints/iter-00003000", fitted);
        Assert.Equal("…00003000", ShortPath.Fit(path, 9));
    }

    [Fact]
    public void AMetricsTableTitledWithALongPathKeepsTheRunAndCheckpointNames()
    {
        const string path = "/work/projects/xbm/runs/demo-quick/xbm-seed0/checkpoints/iter-00003000";
        string output = Render(60, () => Report.PrintMetrics($"{ShortPath.Fit(path, 50)} (test)", new Dictionary<string, double> { ["Recall@1"] = 0.92071, ["MAP@R"] = 0.3255 }));
        Assert.Contains("xbm-seed0/checkpoints/iter-00003000 (test)", output);
        Assert.Contains("92.07", output);
        Assert.Contains("32.55", output);
    }

    [Fact]
    public void NumberColumnsDoNotFoldInANarrowConsole()
    {
        var table = new Table().AddColumn(ConsoleTable.Number("Δt"));
        foreach (long t in new[] { 100, 800, 1500, 2300, 3000 })
            table.AddColumn(ConsoleTable.Number($"t = {t}"));
        table.AddRow("1000", "0.00123", "0.000456", "0.0000789", "1.23e-05", "4.56e-06");
        string output = Render(64, () => ConsoleTable.Write("Feature drift D(t, Δt) (mean squared distance of L2-normalised probe embeddings)", table));
        foreach (string cell in new[] { "t = 3000", "0.00123", "0.000456", "0.0000789", "1.23e-05", "4.56e-06" })
            Assert.Contains(cell, output);
        Assert.Contains("probe embeddings)", output);
    }

    [Fact]
    public void StepLinesShowBatchAndMemoryLossesApartWithPerPairMeans()
    {
        var pairs = new PairStatistics(40, 80, 0.8, 0.1);
        var memory = new MemoryStats(500, 4000, 10000, 400, 3000, 120_000, 0.7, 0.05);
        var report = new StepReport(500, 3e-4, 1250.5, 2.4, 1248.1, pairs, memory, 350)
        {
            BatchLossPerPair = 0.32,
            MemoryLossPerPair = 0.1617,
        };
        Assert.Equal("batch 2.4000 (0.3200/pair)  memory 1248.1 (0.1617/pair, 123,000 pairs, 40% full)", ConsoleProgress.Losses(report));
        var early = new StepReport(5, 3e-4, 2.4, 2.4, double.NaN, pairs, null, 350) { BatchLossPerPair = 0.32 };
        Assert.Equal("loss 2.4000 (0.3200/pair)", ConsoleProgress.Losses(early));
    }

    [Fact]
    public void LongEvaluationsPrintProgressLinesWhenNotInteractive()
    {
        var writer = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(writer);
        try
        {
            ITrainingObserver progress = new ConsoleProgress("run", 10) { ProgressEvery = TimeSpan.Zero };
            for (long done = 5000; done <= 35000; done += 5000)
                progress.OnProgress("evaluating test", done, 35000);
        }
        finally
        {
            Console.SetOut(previous);
        }
        string output = writer.ToString();
        Assert.Contains("run evaluating test: 5,000/35,000 images", output);
        Assert.Contains("run evaluating test: 35,000/35,000 images", output);
    }
}
