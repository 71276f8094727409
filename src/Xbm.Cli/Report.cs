using System.Globalization;
using Spectre.Console;
using Xbm.Training;

namespace Xbm.Cli;

/// <summary>Console tables shared by the commands.</summary>
public static class Report
{
    /// <summary>Prints metrics as percentages.</summary>
    public static void PrintMetrics(string title, IReadOnlyDictionary<string, double> metrics)
    {
        var table = new Table().AddColumn("metric").AddColumn(ConsoleTable.Number("%"));
        foreach (var (name, value) in metrics)
            table.AddRow(Markup.Escape(name), Percent(value));
        ConsoleTable.Write(title, table);
    }

    /// <summary>Prints the outcome of a training run and where its files are.</summary>
    public static void PrintRun(string folder, TrainingResult result)
    {
        foreach (var (split, metrics) in result.FinalMetrics)
            PrintMetrics($"iteration {result.Iterations}, {split}", metrics);
        AnsiConsole.MarkupLineInterpolated($"trained {result.TrainingSeconds:F1} s, {result.ImagesPerSecond:F0} images/s, {result.SkippedSteps} skipped steps");
        AnsiConsole.MarkupLineInterpolated($"run folder: {Path.GetFullPath(folder)} (metrics.csv, evaluations.csv, tensorboard/, checkpoints/)");
    }

    /// <summary>A fraction as a percentage with two decimals.</summary>
    public static string Percent(double value) => double.IsFinite(value) ? (100 * value).ToString("F2", CultureInfo.InvariantCulture) : "-";
}
