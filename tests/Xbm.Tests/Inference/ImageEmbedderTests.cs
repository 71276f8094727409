using Xbm.Inference;
using Xbm.Tests.Cli;
using static TorchSharp.torch;

namespace Xbm.Tests.Inference;

/// <summary>The inference API on a tiny run and on its ONNX export: files, float arrays and tensors embed alike.</summary>
[Collection(CliCollection.Name)]
public sealed class ImageEmbedderTests(TinyRuns runs)
{
    [Fact]
    public void ARunAndItsExportEmbedFilesArraysAndTensorsAlike()
    {
        string onnx = Path.Combine(runs.Scratch("embedder"), "model.onnx");
        CliRunner.Succeeds("export", "--checkpoint", runs.Files, "--out", onnx);
        var files = Directory.GetFiles(Path.Combine(TinyRuns.FolderDataset, "train"), "*.*", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(".txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

        using var run = ImageEmbedder.Load(runs.Files, new EmbedderOptions { BatchSize = 4 });
        using var exported = ImageEmbedder.Load(onnx, new EmbedderOptions { Threads = 1 });

        Assert.False(run.IsOnnx);
        Assert.True(exported.IsOnnx);
        Assert.Equal(run.Preprocessing.ToMetadata(), exported.Preprocessing.ToMetadata());
        Assert.Equal(8, exported.Dimension);
        Assert.Equal("ant", run.ClassNames![0]);
        var reference = run.EmbedFiles(files);
        var pixels = files.SelectMany(run.Preprocessing.Load).ToArray();
        using var images = tensor(pixels, new long[] { files.Count, 3, 16, 16 });
        foreach (var embedded in new[] { exported.EmbedFiles(files), exported.Embed(pixels, files.Count), exported.Embed(images), run.Embed(images), run.Embed(pixels, files.Count) })
        {
            Assert.Equal(files.Count, embedded.Count);
            Assert.InRange(reference.Values.Zip(embedded.Values, (a, b) => Math.Abs(a - b)).Max(), 0, 1e-5);
        }
        Assert.InRange(reference.Row(3).ToArray().Sum(v => v * v), 1 - 1e-5, 1 + 1e-5);
    }

    [Fact]
    public void ARunOpensWithoutItsDatasetFromItsInferenceInfo()
    {
        var files = Directory.GetFiles(Path.Combine(TinyRuns.FolderDataset, "train"), "*.*", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(".txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        using var original = ImageEmbedder.Load(runs.Files);
        var reference = original.EmbedFiles(files);

        // A copy of the run whose dataset is gone: the model, preprocessing and class names come from the run folder.
        string scratch = runs.Scratch("no-data");
        string copy = Copy(runs.Files, Path.Combine(scratch, "run"));
        string gone = Path.Combine(scratch, "gone");
        string config = Path.Combine(copy, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace(TinyRuns.FolderDataset, gone, StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(copy, InferenceInfo.FileName)));
        using (var model = RunModel.Open(copy))
            Assert.False(model.NeededData);
        using (var moved = ImageEmbedder.Load(copy))
        {
            Assert.Equal(original.Preprocessing.ToMetadata(), moved.Preprocessing.ToMetadata());
            Assert.Equal("ant", moved.ClassNames![0]);
            Assert.Equal(reference.Values, moved.EmbedFiles(files).Values);
        }
        string onnx = Path.Combine(scratch, "model.onnx");
        CliRunner.Succeeds("export", "--checkpoint", copy, "--out", onnx); // export needs no data either

        // Without inference.json (a run trained before it existed) the run is rebuilt with its data, which must be there.
        File.Delete(Path.Combine(copy, InferenceInfo.FileName));
        var e = Assert.ThrowsAny<Exception>(() => ImageEmbedder.Load(copy));
        Assert.Contains(gone, e.Message);
    }

    private static string Copy(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return to;
    }

    [Fact]
    public void BadPathsAreNamed()
    {
        string folder = runs.Scratch("embedder-errors");
        string text = Path.Combine(folder, "model.txt");
        File.WriteAllText(text, "x");
        Assert.Contains(".onnx", Assert.Throws<ArgumentException>(() => ImageEmbedder.Load(text)).Message);
        Assert.Contains(Path.Combine(folder, "none"), Assert.Throws<FileNotFoundException>(() => ImageEmbedder.Load(Path.Combine(folder, "none"))).Message);
        string onnx = Path.Combine(folder, "model.onnx");
        CliRunner.Succeeds("export", "--checkpoint", runs.Files, "--out", onnx);
        using var embedder = ImageEmbedder.Load(onnx);
        string notImage = Path.Combine(folder, "x.png");
        File.WriteAllText(notImage, "not an image");
        Assert.Contains("list.txt:3", Assert.Throws<InvalidDataException>(() => embedder.EmbedFiles([notImage], ["list.txt:3"])).Message);
    }
}
