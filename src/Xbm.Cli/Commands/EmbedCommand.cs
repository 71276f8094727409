using System.CommandLine;
using Spectre.Console;
using Xbm.Evaluation;
using Xbm.IO;
using Xbm.Reporting;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm embed`: embeds a split of a run's dataset with a checkpoint and writes vectors.npy (float32 N×d), labels.npy
/// (int64) and paths.txt next to it, readable by NumPy (<c>numpy.load</c>).
/// </summary>
public sealed class EmbedCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder", Required = true };
        var split = new Option<string>("--split") { Description = "test, validation or train", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "validation", "train");
        var protocol = new Option<string?>("--protocol") { Description = "test protocol to embed when the dataset has several (VehicleID: small, medium, large); default the first" };
        var part = new Option<string>("--part") { Description = "gallery or queries of a query/gallery protocol (In-Shop); default the gallery when there is one", DefaultValueFactory = _ => "auto" };
        part.AcceptOnlyFromAmong("auto", "gallery", "queries");
        var dataRoot = new Option<DirectoryInfo?>("--data-root") { Description = "dataset folder (overrides the stored data.root)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key (e.g. data.root=DIR), repeatable", DefaultValueFactory = _ => Array.Empty<string>() };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };
        var output = new Option<FileInfo>("--out") { Description = "vectors file (.npy); labels and paths go next to it", Required = true };

        var command = new Command("embed", "Embed a dataset split with a trained model: vectors.npy, labels.npy, paths.txt")
            { checkpoint, split, protocol, part, dataRoot, set, device, output };
        command.SetAction(parse =>
        {
            var files = EmbeddingFiles.For(parse.GetValue(output)!.FullName);
            foreach (string path in new[] { files.VectorsPath, files.LabelsPath, files.PathsPath })
                OutputTarget.EnsureFile(path, "--out");
            var overrides = Overrides(parse.GetValue(set)!, parse.GetValue(dataRoot));
            using var trained = TrainedRun.Open(parse.GetValue(checkpoint)!.FullName, overrides, parse.GetValue(device));
            var sets = trained.Sets(parse.GetValue(split)!);
            string? wanted = parse.GetValue(protocol);
            var chosen = wanted is null ? sets[0] : sets.FirstOrDefault(s => s.Name == wanted)
                ?? throw new ArgumentException($"--protocol {wanted}: the {parse.GetValue(split)} split has the protocols {string.Join(", ", sets.Select(s => s.Name))}");
            string which = parse.GetValue(part)!;
            if (which == "gallery" && chosen.Gallery is null)
                throw new ArgumentException($"--part gallery: protocol '{chosen.Name}' searches its images against themselves and has no gallery");
            var images = which == "queries" || chosen.Gallery is null ? chosen.Queries : chosen.Gallery!;

            var run = trained.Run;
            using var vectors = Embedder.Embed(run.Model, images, run.Options.EmbedBatchSize, run.Device);
            files.Write(vectors, images.Labels, ImagePaths.All(images, run.Data.Name));
            string partName = images == chosen.Gallery ? "gallery" : chosen.Gallery is null ? "images" : "queries";
            AnsiConsole.MarkupLineInterpolated($"embedded {vectors.shape[0]} {partName} of {run.Data.Name} {chosen.Name} ({vectors.shape[1]} dimensions) with {trained.Checkpoint}");
            AnsiConsole.MarkupLineInterpolated($"wrote {files.VectorsPath}, {files.LabelsPath}, {files.PathsPath}");
            return 0;
        });
        return command;
    }

    /// <summary>The --set overrides plus data.root from --data-root.</summary>
    internal static List<string> Overrides(IEnumerable<string> set, DirectoryInfo? dataRoot)
    {
        var overrides = set.ToList();
        if (dataRoot is not null)
            overrides.Add($"data.root={dataRoot.FullName}");
        return overrides;
    }
}
