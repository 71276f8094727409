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

    /// <summary>The text with line breaks (and the spaces around them) read as one space.</summary>
    private static string Unwrapped(string output) =>
        System.Text.RegularExpressions.Regex.Replace(output, @" *\r?\n *", " ");

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
    public void TheDriftTableKeepsEveryColumnAndNumberWholeInANarrowConsole()
    {
        var headers = new[] { "Δt", "t = 100", "t = 800", "t = 1500", "t = 2300", "t = 3000" };
        var rows = new IReadOnlyList<string>[]
        {
            ["10", "0.00123", "0.000456", "0.0000789", "1.23e-05", "4.56e-06"],
            ["1000", "-", "-", "0.0000789", "1.23e-05", "4.56e-06"],
        };
        foreach (int width in new[] { 80, 40 })
        {
            string output = Render(width, () => ConsoleTable.WriteGrid("Feature drift D(t, Δt) (mean squared distance of L2-normalised probe embeddings)", headers, rows));
            foreach (string cell in headers.Concat(rows[0]))
                Assert.Contains(cell, output);
            Assert.Contains("Feature drift D(t, Δt) (mean squared distance of L2-normalised probe embeddings)", Unwrapped(output));
            Assert.All(output.Split('\n'), line => Assert.True(line.TrimEnd().Length <= width, $"line wider than {width}: {line}"));
        }
    }

    [Fact]
    public void AGridTooWideForTheConsoleIsTransposedWithEveryValueWhole()
    {
        var headers = new[] { "arm", "seeds", "R@1 %", "R@2 %", "R@4 %", "R@8 %", "R-Prec %", "MAP@R %", "train time", "peak memory" };
        var rows = new IReadOnlyList<string>[]
        {
            ["no memory", "3", "91.75 ± 0.22", "95.39 ± 0.14", "97.30 ± 0.15", "98.42 ± 0.12", "45.38 ± 0.93", "32.76 ± 0.73", "402 ± 12 s", "812 ± 3 MiB"],
            ["XBM", "3", "92.07 ± 1.33", "95.58 ± 0.74", "97.46 ± 0.35", "98.52 ± 0.09", "45.90 ± 3.78", "32.60 ± 4.31", "455 ± 20 s", "1021 ± 5 MiB"],
        };
        string narrow = Render(80, () => ConsoleTable.WriteGrid("Fashion-MNIST zero-shot: no memory vs XBM (mean ± std over seeds)", headers, rows));
        Assert.All(narrow.Split('\n'), line => Assert.True(line.TrimEnd().Length <= 80, $"line wider than 80: {line}"));
        foreach (string cell in rows.SelectMany(r => r).Concat(headers.Skip(1)))
            Assert.Contains(cell, narrow);
        Assert.Contains(narrow.Split('\n'), l => l.Contains("R@1 %") && l.Contains("91.75 ± 0.22") && l.Contains("92.07 ± 1.33"));

        string wide = Render(200, () => ConsoleTable.WriteGrid(null, headers, rows));
        Assert.Contains(wide.Split('\n'), l => l.Contains("R@1 %") && l.Contains("MAP@R %") && l.Contains("peak memory"));

        // Too narrow even transposed: one line per item, every value whole.
        string lines = Render(30, () => ConsoleTable.WriteGrid(null, headers, rows));
        Assert.All(lines.Split('\n'), line => Assert.True(line.TrimEnd().Length <= 30, $"line wider than 30: {line}"));
        Assert.Contains("no memory: seeds 3, R@1 % 91.75 ± 0.22, R@2 % 95.39 ± 0.14", Unwrapped(lines));
        Assert.Contains("peak memory 1021 ± 5 MiB", Unwrapped(lines));
        Assert.Contains(lines.Split('\n'), l => l.Trim() == "R@1 % 91.75 ± 0.22,"); // an entry is never split
    }

    [Fact]
    public void StepLinesShowBatchAndMemoryLossesApartWithPerPairMeans()
    {
        var pairs = new PairStatistics(40, 80, 0.8, 0.1);
        var memory = new MemoryStatistics(500, 4000, 10000, 400, 3000, 120_000, 0.7, 0.05);
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
