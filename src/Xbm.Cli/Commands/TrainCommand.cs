using System.CommandLine;
using Xbm.Configuration;
using Xbm.IO;
using Xbm.Training;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm train`: trains one configuration; re-running with the same --out resumes from the last checkpoint, also
/// with a larger --set iterations=N to continue a finished run (any other change is refused, naming the keys).
/// </summary>
public sealed class TrainCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML configuration (see configs/)", Required = true };
        var set = new Option<string[]>("--set") { Description = "override a key, e.g. --set memory.size=1000 (repeatable)", DefaultValueFactory = _ => Array.Empty<string>() };
        var output = new Option<DirectoryInfo?>("--out") { Description = "run folder (default runs/<config name>); an existing run is resumed (a larger iterations continues it)" };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto (overrides the config)" };
        var fresh = new Option<bool>("--fresh") { Description = "do not resume: refuse if the run folder already has checkpoints" };

        var command = new Command("train", "Train an embedding model (with or without cross-batch memory)") { config, set, output, device, fresh };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(config)!;
            var root = ConfigLoader.Load(file.FullName, parse.GetValue(set));
            string folder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(file.Name));
            OutputTarget.EnsureFolder(folder, parse.GetValue(output) is null ? "run folder" : "--out");
            if (parse.GetValue(fresh) && Checkpoint.Latest(folder) is not null)
                throw new ConfigException($"{folder}: already holds checkpoints; remove --fresh to resume, or choose another --out");
            var result = Train(root, folder, parse.GetValue(device), Path.GetFileNameWithoutExtension(file.Name));
            Report.PrintRun(folder, result);
            return 0;
        });
        return command;
    }

    /// <summary>Builds and trains a run with console progress; shared by train and demo.</summary>
    public static TrainingResult Train(ConfigSection root, string folder, string? device, string label, long plainEvery = 500)
    {
        var progress = new ConsoleProgress(label) { PlainEvery = plainEvery };
        using var run = TrainingRun.Create(root, folder, device, progress);
        progress.Iterations = run.Options.Iterations;
        using var watch = Interruption.WatchCheckpoint(() => run.Trainer.CurrentCheckpoint);
        return progress.Run(() => run.Trainer.Run(resume: true, Interruption.Token));
    }
}
