using System.CommandLine;
using Spectre.Console;
using Xbm.Export;
using Xbm.Inference;
using Xbm.IO;
using Xbm.Reporting;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm export`: writes a run's embedding model (backbone, pooling, head, L2 normalisation; BatchNorm with its
/// running statistics) as an ONNX model that ONNX Runtime runs without libtorch, with the run's test-time
/// preprocessing in its metadata (<see cref="OnnxExporter"/>). `xbm embed --onnx` and the C# API read it.
/// </summary>
public sealed class ExportCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "the ONNX model to write (.onnx)", Required = true };
        var dataRoot = new Option<DirectoryInfo?>("--data-root") { Description = "dataset folder (overrides the stored data.root; needed only for runs trained before inference.json, whose preprocessing comes from their dataset)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key (e.g. data.root=DIR), repeatable", DefaultValueFactory = _ => Array.Empty<string>() };

        var command = new Command("export", "Export a run's embedding model to ONNX (opset 17, dynamic batch), with its preprocessing in the metadata")
            { checkpoint, output, dataRoot, set };
        command.SetAction(parse =>
        {
            string target = parse.GetValue(output)!.FullName;
            if (!target.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out {target}: give a file name ending in .onnx");
            OutputTarget.EnsureFile(target, "--out");
            using var trained = RunModel.Open(parse.GetValue(checkpoint)!.FullName, EmbedCommand.Overrides(parse.GetValue(set)!, parse.GetValue(dataRoot)), "cpu");
            var preprocessing = trained.Preprocessing;
            var metadata = new Dictionary<string, string>
            {
                ["xbm.checkpoint"] = trained.Checkpoint,
                ["xbm.weights_sha256"] = Training.Checkpoint.WeightsHash(trained.Checkpoint),
            };
            OnnxExporter.Export(trained.Model, preprocessing, target, metadata);
            AnsiConsole.MarkupLineInterpolated($"exported {trained.Model.Backbone.GetType().Name} ({trained.Model.Dimension} dimensions) from {trained.Checkpoint}");
            AnsiConsole.MarkupLineInterpolated($"input [[batch, {preprocessing.Channels}, {preprocessing.Height}, {preprocessing.Width}]] {preprocessing.ChannelOrder}, mean {string.Join(", ", preprocessing.Mean)}, std {string.Join(", ", preprocessing.Std)}");
            AnsiConsole.MarkupLineInterpolated($"wrote {target} ({new FileInfo(target).Length / 1024.0 / 1024.0:F1} MiB)");
            return 0;
        });
        return command;
    }
}
