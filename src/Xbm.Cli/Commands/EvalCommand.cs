using System.CommandLine;
using Xbm.Training;

namespace Xbm.Cli.Commands;

/// <summary>`xbm eval`: evaluates a run's checkpoint with the dataset's protocol.</summary>
public sealed class EvalCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder", Required = true };
        var split = new Option<string>("--split") { Description = "test or validation", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "validation");
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };
        var nmi = new Option<bool>("--nmi") { Description = "also compute NMI (k-means with k = number of classes)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key (e.g. data.root=DIR)", DefaultValueFactory = _ => Array.Empty<string>() };

        var command = new Command("eval", "Evaluate a trained model (Recall@K, R-Precision, MAP@R)") { checkpoint, split, device, nmi, set };
        command.SetAction(parse =>
        {
            var (config, runFolder) = TrainingRun.OpenStored(parse.GetValue(checkpoint)!.FullName, parse.GetValue(set));
            string folder = parse.GetValue(checkpoint)!.FullName;
            string chosen = File.Exists(Path.Combine(folder, "trainer.json")) ? folder
                : Checkpoint.Latest(runFolder) ?? throw new FileNotFoundException($"{runFolder}: the run has no checkpoint yet");
            using var run = TrainingRun.Create(config, runFolder, parse.GetValue(device), forEvaluation: true);
            Checkpoint.LoadModel(chosen, run.Model);
            var evaluator = new RetrievalEvaluation(run.Data, run.Device, run.Options.EmbedBatchSize) { ComputeNmi = parse.GetValue(nmi) };
            var metrics = evaluator.Evaluate(run.Model, parse.GetValue(split)!);
            Report.PrintMetrics($"{chosen} ({parse.GetValue(split)})", metrics);
            return 0;
        });
        return command;
    }
}
