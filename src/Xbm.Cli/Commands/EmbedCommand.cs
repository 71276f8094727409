using System.CommandLine;
using Spectre.Console;
using Xbm.Data.Images;
using Xbm.Evaluation;
using Xbm.IO;
using Xbm.Reporting;

namespace Xbm.Cli.Commands;

/// <summary>
/// `xbm embed`: embeds a split of a run's dataset, or any images (<c>--images DIR|LIST.txt</c>), with a checkpoint
/// and writes vectors.npy (float32 N×d), labels.npy (int64) and paths.txt next to it, readable by NumPy
/// (<c>numpy.load</c>), plus index.json recording the checkpoint and a hash of its weights for `xbm search`. With
/// <c>--onnx MODEL.onnx</c> (written by `xbm export`) the images run on ONNX Runtime, preprocessed as the model's
/// metadata says; the vectors equal the checkpoint's to float rounding.
/// </summary>
public sealed class EmbedCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "a run folder (its latest checkpoint) or a checkpoint folder" };
        var onnx = new Option<FileInfo?>("--onnx") { Description = "an ONNX model written by `xbm export`, run on ONNX Runtime (needs --images)" };
        var split = new Option<string>("--split") { Description = "test, validation or train", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "validation", "train");
        var protocol = new Option<string?>("--protocol") { Description = "test protocol to embed when the dataset has several (VehicleID: small, medium, large); default the first" };
        var part = new Option<string>("--part") { Description = "gallery or queries of a query/gallery protocol (In-Shop); default the gallery when there is one", DefaultValueFactory = _ => "auto" };
        part.AcceptOnlyFromAmong("auto", "gallery", "queries");
        var dataRoot = new Option<DirectoryInfo?>("--data-root") { Description = "dataset folder (overrides the stored data.root)" };
        var set = new Option<string[]>("--set") { Description = "override a stored key (e.g. data.root=DIR), repeatable", DefaultValueFactory = _ => Array.Empty<string>() };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto" };
        var output = new Option<FileInfo>("--out") { Description = "vectors file (.npy); labels, paths and index.json go next to it", Required = true };
        var images = new Option<string?>("--images")
        {
            Description = "embed these images instead of a split: a folder (recursively; DIR/<class>/... gives the label) or a text file of image paths, one per line, relative to it",
        };

        var command = new Command("embed", "Embed a dataset split, or a folder or list of images, with a trained model: vectors.npy, labels.npy, paths.txt")
            { checkpoint, onnx, split, protocol, part, dataRoot, set, device, output, images };
        command.SetAction(parse =>
        {
            var files = EmbeddingFiles.For(parse.GetValue(output)!.FullName); // refuses a name not ending in .npy before any work
            foreach (string path in new[] { files.VectorsPath, files.LabelsPath, files.PathsPath, files.InfoPath })
                OutputTarget.EnsureFile(path, "--out");
            string? given = parse.GetValue(images);
            if (given is not null)
                foreach (var (option, name) in new (Option, string)[] { (split, "--split"), (protocol, "--protocol"), (part, "--part") })
                    if (parse.GetResult(option) is { Implicit: false })
                        throw new ArgumentException($"{name} chooses a split of the run's dataset; it cannot be combined with --images");
            var onnxModel = parse.GetValue(onnx);
            if ((parse.GetValue(checkpoint) is null) == (onnxModel is null))
                throw new ArgumentException("give the model with --checkpoint RUN or --onnx MODEL.onnx (one of them)");
            if (onnxModel is not null)
            {
                if (given is null)
                    throw new ArgumentException("--onnx embeds image files: give them with --images DIR|LIST.txt");
                foreach (var (option, name) in new (Option, string)[] { (dataRoot, "--data-root"), (set, "--set"), (device, "--device") })
                    if (parse.GetResult(option) is { Implicit: false })
                        throw new ArgumentException($"{name} applies to a run (--checkpoint); an ONNX model carries its preprocessing and runs on the CPU");
            }
            var inputs = given is null ? null : ImageInputs.Read(given); // list errors before the model loads
            var overrides = Overrides(parse.GetValue(set)!, parse.GetValue(dataRoot));
            if (inputs is not null) // image files: the inference API, on ONNX Runtime or on the run's model (which needs no dataset)
                return EmbedImages(onnxModel?.FullName ?? parse.GetValue(checkpoint)!.FullName, new Inference.EmbedderOptions { Overrides = overrides, Device = parse.GetValue(device) }, inputs, files);
            using var trained = TrainedRun.Open(parse.GetValue(checkpoint)!.FullName, overrides, parse.GetValue(device));
            var sets = trained.Sets(parse.GetValue(split)!);
            string? wanted = parse.GetValue(protocol);
            var chosen = wanted is null ? sets[0] : sets.FirstOrDefault(s => s.Name == wanted)
                ?? throw new ArgumentException($"--protocol {wanted}: the {parse.GetValue(split)} split has the protocols {string.Join(", ", sets.Select(s => s.Name))}");
            string which = parse.GetValue(part)!;
            if (which == "gallery" && chosen.Gallery is null)
                throw new ArgumentException($"--part gallery: protocol '{chosen.Name}' searches its images against themselves and has no gallery");
            var embedded = which == "queries" || chosen.Gallery is null ? chosen.Queries : chosen.Gallery!;

            var run = trained.Run;
            using var vectors = Embedder.Embed(run.Model, embedded, run.Options.EmbedBatchSize, run.Device);
            files.Write(vectors, embedded.Labels, ImagePaths.All(embedded, run.Data.Name), Info(trained, vectors, run.Data.ClassNames));
            string partName = embedded == chosen.Gallery ? "gallery" : chosen.Gallery is null ? "images" : "queries";
            AnsiConsole.MarkupLineInterpolated($"embedded {vectors.shape[0]} {partName} of {run.Data.Name} {chosen.Name} ({vectors.shape[1]} dimensions) with {trained.Checkpoint}");
            AnsiConsole.MarkupLineInterpolated($"wrote {files.VectorsPath}, {files.LabelsPath}, {files.PathsPath}, {files.InfoPath}");
            return 0;
        });
        return command;
    }

    private static int EmbedImages(string model, Inference.EmbedderOptions options, ImageInputs inputs, EmbeddingFiles files)
    {
        using var embedder = Inference.ImageEmbedder.Load(model, options);
        var paths = inputs.Items.Select(i => i.Path).ToList();
        var vectors = embedder.EmbedFiles(paths, inputs.Items.Select(i => i.Source).ToList());
        var names = inputs.ClassNames.Select((name, label) => (name, label)).ToDictionary(p => (long)p.label, p => p.name);
        var info = new IndexInfo(embedder.Source, embedder.ModelHash, vectors.Dimension, vectors.Count, names.Count == 0 ? null : names);
        files.Write(vectors, inputs.Items.Select(i => i.Label).ToList(), paths, info);
        int unknown = inputs.Items.Count(i => i.Label < 0);
        string runtime = embedder.IsOnnx ? " on ONNX Runtime" : "";
        AnsiConsole.MarkupLineInterpolated($"embedded {vectors.Count} images ({inputs.ClassNames.Count} class folders, {unknown} without a class; {vectors.Dimension} dimensions) with {embedder.Source}{runtime}");
        AnsiConsole.MarkupLineInterpolated($"wrote {files.VectorsPath}, {files.LabelsPath}, {files.PathsPath}, {files.InfoPath}");
        return 0;
    }

    private static IndexInfo Info(TrainedRun trained, TorchSharp.torch.Tensor vectors, IReadOnlyDictionary<long, string>? classNames) =>
        new(trained.Checkpoint, Xbm.Training.Checkpoint.WeightsHash(trained.Checkpoint), vectors.shape[1], vectors.shape[0], classNames);

    /// <summary>The --set overrides plus data.root from --data-root.</summary>
    internal static List<string> Overrides(IEnumerable<string> set, DirectoryInfo? dataRoot)
    {
        var overrides = set.ToList();
        if (dataRoot is not null)
            overrides.Add($"data.root={dataRoot.FullName}");
        return overrides;
    }
}
