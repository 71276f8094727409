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

    /// <summary>The file <c>xbm train --profile</c> writes the step-time breakdown to, in the run folder.</summary>
    public const string ProfileFileName = "profile.csv";

    /// <summary>Prints where the run's time went (<c>xbm train --profile</c>) and writes it to the run folder's profile.csv.</summary>
    public static void PrintProfile(string folder, StepProfile profile, string settings)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var rows = profile.Rows();
        var table = new Table().AddColumn("phase").AddColumn(ConsoleTable.Number("ms per step")).AddColumn(ConsoleTable.Number("share")).AddColumn(ConsoleTable.Number("seconds"));
        foreach (var row in rows)
            table.AddRow(Markup.Escape(row.Phase.ToString().ToLowerInvariant()), row.MillisecondsPerStep.ToString("F2", CultureInfo.InvariantCulture),
                Percent(row.Share), row.Seconds.ToString("F2", CultureInfo.InvariantCulture));
        ConsoleTable.Write($"where the time went over {profile.Steps} steps ({profile.TotalSeconds:F1} s; {settings})", table);
        string path = Path.Combine(folder, ProfileFileName);
        profile.Write(path);
        AnsiConsole.MarkupLineInterpolated($"profile: {Path.GetFullPath(path)}");
    }

    /// <summary>A fraction as a percentage with two decimals.</summary>
    public static string Percent(double value) => double.IsFinite(value) ? (100 * value).ToString("F2", CultureInfo.InvariantCulture) : "-";
}
