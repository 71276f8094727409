using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Xbm.Data;
using Xbm.Evaluation;
using Xbm.IO;
using Xbm.Reporting;
using Xbm.Training;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm eval`: evaluates a run's checkpoint with the dataset's protocol (In-Shop queries against the gallery,
/// VehicleID small/medium/large, SOP/CUB/Cars/Fashion-MNIST test set against itself), optionally with NMI and
/// Recall@1 per class. A classification run also prints its classifier's accuracy, the accuracy of each class and
/// the confusion matrix (written as CSV with --confusion-csv).
/// </summary>
public sealed class EvalCommand : ICliCommand
{
    /// <summary>Classes shown in the console per protocol; the CSV has all of them.</summary>
    private const int PerClassRows = 40;

    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder", Required = true };
        var split = new Option<string>("--split") { Description = "test or validation", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "validation");
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };
        var nmi = new Option<bool>("--nmi") { Description = "also compute NMI (k-means with k = number of classes)" };
        var perClass = new Option<bool>("--per-class") { Description = $"also print Recall@1 per class (the {PerClassRows} lowest when there are more)" };
        var perClassCsv = new Option<FileInfo?>("--per-class-csv") { Description = "write Recall@1 of every class to this CSV (protocol,label,queries,recall_at_1)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key (e.g. data.root=DIR)", DefaultValueFactory = _ => Array.Empty<string>() };
        var confusionCsv = new Option<FileInfo?>("--confusion-csv") { Description = "classification runs: write the confusion matrix (rows true class, columns predicted) to this CSV" };

        var command = new Command("eval", "Evaluate a trained model (Recall@K, R-Precision, MAP@R, NMI) with the dataset's protocol")
            { checkpoint, split, device, nmi, perClass, perClassCsv, set, confusionCsv };
        command.SetAction(parse =>
        {
            var csvFile = parse.GetValue(perClassCsv);
            if (csvFile is not null)
                OutputTarget.EnsureFile(csvFile.FullName, "--per-class-csv");
            var confusionFile = parse.GetValue(confusionCsv);
            if (confusionFile is not null)
                OutputTarget.EnsureFile(confusionFile.FullName, "--confusion-csv");
            using var trained = TrainedRun.Open(parse.GetValue(checkpoint)!.FullName, parse.GetValue(set), parse.GetValue(device));
            trained.Sets(parse.GetValue(split)!); // a split the data lacks is an error before any computation
            var run = trained.Run;
            if (confusionFile is not null && run.Classification is null) // before any computation
                throw new ArgumentException($"--confusion-csv: {trained.RunFolder} is a retrieval run (no classifier)");
            string chosen = trained.Checkpoint;
            bool classes = parse.GetValue(perClass) || csvFile is not null;
            var options = new EvaluationOptions { ComputeNmi = parse.GetValue(nmi), PerClassRecall = classes };
            var metrics = new Dictionary<string, double>();
            var csv = new StringBuilder("protocol,label,queries,recall_at_1\n");
            ITrainingObserver progress = new ConsoleProgress("eval", 0);
            run.Evaluator.Progress = (what, done, total) => progress.OnProgress($"embedding {what}", done, total);
            var tally = run.Classification?.Start(run.Model, parse.GetValue(split)!); // classifies the same embeddings
            run.Evaluator.EvaluateSets(run.Model, parse.GetValue(split)!, options, Interruption.Token, (protocol, count, report) =>
            {
                AnsiConsole.MarkupLineInterpolated($"{Describe(protocol, report)}");
                string prefix = count > 1 ? protocol.Name + "/" : "";
                foreach (var (name, value) in report.Metrics)
                    metrics[prefix + name] = value;
                if (report.PerClassRecall is { } perLabel)
                {
                    foreach (var c in perLabel)
                        csv.Append(protocol.Name).Append(',').Append(c.Label).Append(',').Append(c.Queries).Append(',')
                            .Append(c.Recall.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                    if (parse.GetValue(perClass))
                        PrintPerClass(protocol.Name, run.Data.Name, perLabel);
                }
            }, tally is null ? null : tally.Add);
            if (tally is not null)
            {
                var result = tally.Result();
                foreach (var (name, value) in result.Metrics)
                    metrics[name] = value;
                PrintClassification(result);
                if (confusionFile is not null)
                {
                    AtomicFile.WriteAllText(confusionFile.FullName, result.ToCsv());
                    AnsiConsole.MarkupLineInterpolated($"confusion matrix: {confusionFile.FullName}");
                }
            }
            Report.PrintMetrics($"{ConsoleTable.FitPath(chosen)} ({parse.GetValue(split)})", metrics);
            if (csvFile is not null)
            {
                AtomicFile.WriteAllText(csvFile.FullName, csv.ToString());
                AnsiConsole.MarkupLineInterpolated($"Recall@1 per class: {csvFile.FullName}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>One line saying what the protocol searched: queries against a gallery or against themselves, and the K values.</summary>
    internal static string Describe(EvaluationSet protocol, EvaluationReport report)
    {
        var results = report.Results;
        string searched = protocol.Gallery is null
            ? $"{results.QueryCount} images searched against each other (self excluded)"
            : $"{results.QueryCount} queries searched against {results.ReferenceCount} gallery images";
        string excluded = report.ExcludedQueries > 0 ? $"; {report.ExcludedQueries} queries without a same-class reference left out" : "";
        return $"protocol '{protocol.Name}': {searched}, Recall@{string.Join(",", protocol.RecallAt)}{excluded}; k-NN {report.SearchTime.TotalSeconds:F1} s";
    }

    /// <summary>The classifier's accuracy per class, and the confusion matrix when it is small enough to read.</summary>
    private static void PrintClassification(ClassificationResult result)
    {
        var table = new Table().AddColumn("class").AddColumn(ConsoleTable.Number("items")).AddColumn(ConsoleTable.Number("accuracy %"));
        for (int c = 0; c < result.Classes; c++)
            table.AddRow(Markup.Escape(result.Names[c]), result.Support(c).ToString(CultureInfo.InvariantCulture), Report.Percent(result.ClassAccuracy(c)));
        ConsoleTable.Write($"classifier: accuracy {Report.Percent(result.Accuracy)} % of {result.Total} items, per class", table);
        if (result.Classes > 12)
            return;
        var matrix = new Table().AddColumn("true \\ predicted");
        foreach (string name in result.Names)
            matrix.AddColumn(ConsoleTable.Number(name));
        for (int c = 0; c < result.Classes; c++)
            matrix.AddRow([Markup.Escape(result.Names[c]), .. Enumerable.Range(0, result.Classes).Select(p => result.Confusion[c, p].ToString(CultureInfo.InvariantCulture))]);
        ConsoleTable.Write("confusion matrix (rows: true class, columns: predicted)", matrix);
    }

    private static void PrintPerClass(string protocol, string dataset, IReadOnlyList<ClassRecall> perLabel)
    {
        var shown = perLabel.Count <= PerClassRows ? perLabel : perLabel.OrderBy(c => c.Recall).ThenBy(c => c.Label).Take(PerClassRows).OrderBy(c => c.Label).ToList();
        string title = perLabel.Count <= PerClassRows
            ? $"Recall@1 per class, protocol '{protocol}'"
            : $"Recall@1 per class, protocol '{protocol}': the {PerClassRows} lowest of {perLabel.Count} classes (--per-class-csv writes all)";
        var table = new Table().AddColumn(ConsoleTable.Number("class"));
        if (dataset == FashionMnist.Name)
            table.AddColumn("name");
        table.AddColumn(ConsoleTable.Number("queries")).AddColumn(ConsoleTable.Number("Recall@1 %"));
        foreach (var c in shown)
        {
            var cells = new List<string> { c.Label.ToString(CultureInfo.InvariantCulture) };
            if (dataset == FashionMnist.Name)
                cells.Add(c.Label >= 0 && c.Label < FashionMnist.ClassNames.Count ? FashionMnist.ClassNames[(int)c.Label] : "");
            cells.Add(c.Queries.ToString(CultureInfo.InvariantCulture));
            cells.Add(Report.Percent(c.Recall));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        ConsoleTable.Write(title, table);
    }
}
