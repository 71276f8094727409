using System.CommandLine;
using Xbm.Configuration;
using Xbm.Distributed;
using Xbm.IO;
using Xbm.Training;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm train`: trains one configuration; re-running with the same --out resumes from the last checkpoint, also
/// with a larger --set iterations=N to continue a finished run (any other change is refused, naming the keys).
/// Under <c>mpirun -np N</c> the N processes train one run data-parallel (docs/design.md §10); rank 0 writes it.
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
        var distributed = new Option<string>("--distributed")
        {
            Description = "auto: data-parallel over MPI when started by mpirun (OMPI_COMM_WORLD_SIZE is set), else one process; mpi: always MPI; none: one process",
            DefaultValueFactory = _ => "auto",
        };
        distributed.AcceptOnlyFromAmong("auto", "mpi", "none");
        var profile = new Option<bool>("--profile") { Description = "measure where each step's time goes (data, forward, loss, memory, backward, optimizer, ...); print it and write profile.csv to the run folder" };
        var trace = new Option<DirectoryInfo?>("--trace-steps") { Description = "diagnostics: every rank writes its per-step loss, memory hash, step time, traffic, gradients and parameters to this folder" };

        var command = new Command("train", "Train an embedding model (with or without cross-batch memory)") { config, set, output, device, fresh, distributed, trace, profile };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(config)!;
            var root = ConfigLoader.Load(file.FullName, parse.GetValue(set));
            string folder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(file.Name));
            string mode = parse.GetValue(distributed)!;
            string? traceFolder = parse.GetValue(trace)?.FullName;
            ICollective transport = mode == "mpi" || (mode == "auto" && MpiCollective.LaunchedByMpirun) ? new MpiCollective() : SingleProcess.Instance;
            using var collective = traceFolder is null ? transport : new MeasuredCollective(transport); // the trace records the traffic
            var spread = new DistributedOptions(collective, traceFolder);
            try
            {
                if (spread.WritesRun)
                    OutputTarget.EnsureFolder(folder, parse.GetValue(output) is null ? "run folder" : "--out");
                if (parse.GetValue(fresh) && Checkpoint.Latest(folder) is not null)
                    throw new ConfigException($"{folder}: already holds checkpoints; remove --fresh to resume, or choose another --out");
                var result = Train(root, folder, parse.GetValue(device), Path.GetFileNameWithoutExtension(file.Name), distributed: spread, profile: parse.GetValue(profile));
                if (spread.WritesRun)
                    Report.PrintRun(folder, result);
                return 0;
            }
            catch (Exception e) when (collective.Size > 1)
            {
                // The other ranks would wait for this one in their next collective: end the whole job.
                Console.Error.WriteLine($"xbm: rank {collective.Rank} of {collective.Size}: {CliApp.UserError(e) ?? e.ToString()}; ending every rank");
                Console.Error.Flush();
                collective.Abort(1);
                throw;
            }
        });
        return command;
    }

    /// <summary>
    /// Builds and trains a run with console progress; shared by train and demo. Ranks other than 0 train quietly. With
    /// <c>profile</c>, measures where the steps' time goes, prints it and writes profile.csv (<see cref="StepProfile"/>).
    /// </summary>
    public static TrainingResult Train(ConfigSection root, string folder, string? device, string label, long plainEvery = 500, DistributedOptions? distributed = null,
        bool profile = false)
    {
        if (distributed is { WritesRun: false })
        {
            using var quiet = TrainingRun.Create(root, folder, device, distributed: distributed);
            return quiet.Trainer.Run(resume: true, Interruption.Token);
        }
        var progress = new ConsoleProgress(label) { PlainEvery = plainEvery };
        using var run = TrainingRun.Create(root, folder, device, progress, distributed: distributed);
        progress.Iterations = run.Options.Iterations;
        using var watch = Interruption.WatchCheckpoint(() => run.Trainer.CurrentCheckpoint);
        if (profile)
            run.Trainer.Profile = new StepProfile(run.Device);
        var result = progress.Run(() => run.Trainer.Run(resume: true, Interruption.Token));
        if (run.Trainer.Profile is { Steps: > 0 } measured)
            Report.PrintProfile(folder, measured, $"{run.Device}, {TorchSharp.torch.get_num_threads()} threads, {Xbm.Runtime.MklDispatch.Apply()}, {Xbm.Runtime.OneDnnGuard.Apply()}");
        return result;
    }
}
