using Microsoft.ML.OnnxRuntime;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.IO;
using Xbm.Reporting;

namespace Xbm.Tests.Cli;

/// <summary>
/// `xbm export`, `xbm embed --onnx` and `xbm search --onnx`: the exported model, run on ONNX Runtime with the
/// preprocessing from its metadata, embeds real image files to the checkpoint's vectors (1e-5), and finds the same
/// neighbours.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class OnnxCommandsTests(TinyRuns runs)
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void AFileRunsExportEmbedsImageFilesLikeItsCheckpoint()
    {
        string folder = runs.Scratch("onnx-files");
        string model = Path.Combine(folder, "model.onnx");
        string output = CliRunner.Succeeds("export", "--checkpoint", runs.Files, "--out", model);
        Assert.Contains($"wrote {model}", output);

        using (var session = new InferenceSession(model))
        {
            Assert.Equal([-1, 3, -1, -1], session.InputMetadata["images"].Dimensions);
            Assert.Equal([-1, 8], session.OutputMetadata["embeddings"].Dimensions);
            var metadata = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal("resize_crop", metadata["xbm.input.kind"]);
            Assert.Equal("16", metadata["xbm.input.width"]);
            Assert.Equal("20", metadata["xbm.input.resize"]);
            Assert.Equal("RGB", metadata["xbm.input.channel_order"]);
            Assert.Equal("0.485,0.456,0.406", metadata["xbm.input.mean"]);
            Assert.Equal("0.229,0.224,0.225", metadata["xbm.input.std"]);
            Assert.Equal("1", metadata["xbm.input.pixel_range"]);
            Assert.Equal("SmallCnn", metadata["xbm.backbone"]);
            Assert.Equal(Xbm.Training.Checkpoint.Latest(runs.Files), metadata["xbm.checkpoint"]);
        }

        string images = Path.Combine(TinyRuns.FolderDataset, "train");
        string fromOnnx = Path.Combine(folder, "onnx.npy"), fromTorch = Path.Combine(folder, "torch.npy");
        string embedded = CliRunner.Succeeds("embed", "--onnx", model, "--images", images, "--out", fromOnnx);
        Assert.Contains("on ONNX Runtime", embedded);
        CliRunner.Succeeds("embed", "--checkpoint", runs.Files, "--images", images, "--out", fromTorch);
        AssertSameIndex(fromTorch, fromOnnx);
        var info = EmbeddingFiles.For(fromOnnx).ReadInfo()!;
        Assert.Equal(model, info.Checkpoint);

        // Search on ONNX Runtime finds what search on TorchSharp finds.
        string query = Path.Combine(TinyRuns.FolderDataset, "test", "dog", "dog1.png");
        string onnxCsv = Path.Combine(folder, "onnx.csv"), torchCsv = Path.Combine(folder, "torch.csv");
        CliRunner.Succeeds("search", "--onnx", model, "--index", fromOnnx, "--query", query, "--k", "4", "--out", onnxCsv);
        CliRunner.Succeeds("search", "--checkpoint", runs.Files, "--index", fromTorch, "--query", query, "--k", "4", "--out", torchCsv);
        var onnxRows = File.ReadAllLines(onnxCsv).Skip(1).Select(l => l.Split(',')).ToList();
        var torchRows = File.ReadAllLines(torchCsv).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(4, onnxRows.Count);
        Assert.Equal(torchRows.Select(r => r[2]), onnxRows.Select(r => r[2]));
        Assert.All(onnxRows.Zip(torchRows), p => Assert.InRange(Math.Abs(double.Parse(p.First[3], System.Globalization.CultureInfo.InvariantCulture)
            - double.Parse(p.Second[3], System.Globalization.CultureInfo.InvariantCulture)), 0, Tolerance));

        // Each index stays with its model.
        string mixed = CliRunner.FailsWithUserError("search", "--onnx", model, "--index", fromTorch, "--query", "row:0");
        Assert.Contains($"but --onnx is {model}", mixed);
    }

    [Fact]
    public void AFashionRunsExportEmbedsGreyPngsLikeItsCheckpoint()
    {
        string folder = runs.Scratch("onnx-fashion");
        string model = Path.Combine(folder, "fashion.onnx");
        CliRunner.Succeeds("export", "--checkpoint", runs.Xbm, "--out", model);
        using (var session = new InferenceSession(model))
        {
            Assert.Equal([-1, 1, -1, -1], session.InputMetadata["images"].Dimensions);
            Assert.Equal("fixed_size", session.ModelMetadata.CustomMetadataMap["xbm.input.kind"]);
            Assert.Equal("GREY", session.ModelMetadata.CustomMetadataMap["xbm.input.channel_order"]);
        }
        string images = Directory.CreateDirectory(Path.Combine(folder, "images", "shoes")).FullName;
        var set = (TensorImageSet)runs.Test.Queries;
        for (int position = 0; position < 5; position++)
        {
            var plane = set.Images.bytes.Slice(position * 28 * 28, 28 * 28);
            var pixels = new byte[28 * 28 * 3];
            for (int i = 0; i < plane.Length; i++)
                pixels.AsSpan(3 * i, 3).Fill(plane[i]);
            File.WriteAllBytes(Path.Combine(images, $"item{position}.png"), ImageDecoder.EncodePng(new RgbImage(28, 28, pixels)));
        }

        string fromOnnx = Path.Combine(folder, "onnx.npy"), fromTorch = Path.Combine(folder, "torch.npy");
        CliRunner.Succeeds("embed", "--onnx", model, "--images", Path.GetDirectoryName(images)!, "--out", fromOnnx);
        CliRunner.Succeeds("embed", "--checkpoint", runs.Xbm, "--images", Path.GetDirectoryName(images)!, "--out", fromTorch);
        AssertSameIndex(fromTorch, fromOnnx);

        // A wrong-sized image is named.
        string big = Path.Combine(folder, "big.png");
        Data.Images.PngFolders.WriteOne(big, 0, 0, side: 30);
        string error = CliRunner.FailsWithUserError("embed", "--onnx", model, "--images", BigList(folder, big), "--out", Path.Combine(folder, "big.npy"));
        Assert.Contains("30×30", error);
        Assert.Contains("28×28", error);
    }

    [Fact]
    public void BadModelArgumentsAreNamed()
    {
        string folder = runs.Scratch("onnx-errors");
        string images = Path.Combine(TinyRuns.FolderDataset, "test");
        string vectors = Path.Combine(folder, "v.npy");
        Assert.Contains("--checkpoint RUN or --onnx MODEL.onnx", CliRunner.FailsWithUserError("embed", "--images", images, "--out", vectors));
        string fake = Path.Combine(folder, "fake.onnx");
        File.WriteAllText(fake, "not a model");
        Assert.Contains("--checkpoint RUN or --onnx MODEL.onnx", CliRunner.FailsWithUserError("embed", "--checkpoint", runs.Files, "--onnx", fake, "--images", images, "--out", vectors));
        Assert.Contains("--images", CliRunner.FailsWithUserError("embed", "--onnx", fake, "--out", vectors));
        Assert.Contains("--data-root applies to a run", CliRunner.FailsWithUserError("embed", "--onnx", fake, "--images", images, "--data-root", folder, "--out", vectors));
        string notOnnx = CliRunner.FailsWithUserError("embed", "--onnx", fake, "--images", images, "--out", vectors);
        Assert.Contains(fake, notOnnx);
        Assert.Contains("ONNX Runtime cannot load it", notOnnx);
        Assert.Contains(".onnx", CliRunner.FailsWithUserError("export", "--checkpoint", runs.Files, "--out", Path.Combine(folder, "model.bin")));
        Assert.False(File.Exists(vectors));
    }

    private static string BigList(string folder, string image)
    {
        string list = Path.Combine(folder, "big.txt");
        File.WriteAllText(list, image + "\n");
        return list;
    }

    private static void AssertSameIndex(string expectedPath, string actualPath)
    {
        var (expected, expectedLabels, expectedPaths) = EmbeddingFiles.For(expectedPath).Read();
        var (actual, actualLabels, actualPaths) = EmbeddingFiles.For(actualPath).Read();
        using (expected)
        using (actual)
        {
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.shape[0] >= 4);
            using var difference = expected.sub(actual);
            using var absolute = difference.abs();
            using var largest = absolute.max();
            Assert.InRange(largest.item<float>(), 0, Tolerance);
        }
        Assert.Equal(expectedLabels, actualLabels);
        Assert.Equal(expectedPaths, actualPaths);
    }
}
