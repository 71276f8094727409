using TorchSharp;
using Xbm.Export;
using Xbm.IO.Onnx;
using Xbm.Models;
using Xbm.Models.Temporal;

namespace Xbm.Tests.Export;

/// <summary>What the exporter writes besides the numbers: the file structure, the metadata, the refusals.</summary>
[Collection("global generator")] // seeds the global generator
public sealed class OnnxExporterTests : IDisposable
{
    private readonly string folder = TestPaths.NewTemporaryFolder("xbm-onnx-export");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void OurOwnOnnxReaderReadsTheExportWithEveryWeightByItsStateDictName()
    {
        using var model = OnnxParityFixture.Model("resnet18", seed: 8);
        string path = Path.Combine(folder, "resnet18.onnx");
        OnnxExporter.Export(model, OnnxParityFixture.Preprocessing("resnet18"), path, new Dictionary<string, string> { ["xbm.note"] = "test" });

        var onnx = OnnxModel.Load(path);

        Assert.Equal(8, onnx.IrVersion);
        Assert.Equal(17, onnx.OpsetVersions[""]);
        Assert.Equal("xbm", onnx.Producer);
        Assert.Equal([OnnxExporter.InputName], onnx.Inputs.Select(i => i.Name));
        Assert.Equal([OnnxExporter.OutputName], onnx.Outputs.Select(o => o.Name));
        var state = model.state_dict();
        foreach (var (name, tensor) in state.Where(p => !p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
        {
            using var scope = torch.NewDisposeScope();
            string key = name.StartsWith("backbone.", StringComparison.Ordinal) ? name["backbone.".Length..] : name;
            Assert.True(onnx.Initializers.TryGetValue(key, out var written), $"{key} is not in the export");
            Assert.Equal(tensor.shape, written!.Shape);
            Assert.Equal(tensor.contiguous().data<float>().ToArray(), written.Values);
        }
        Assert.Contains(onnx.Nodes, n => n.OpType == "BatchNormalization" && n.Name == "layer1.0.bn1" && n.Float("epsilon", 0) == 1e-5f);
        Assert.Contains(onnx.Nodes, n => n.OpType == "MaxPool" && n.Name == "maxpool" && n.Ints("pads", []).SequenceEqual([1L, 1, 1, 1]));
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Theory]
    [InlineData("googlenet")]
    [InlineData("bn_inception")]
    public void WithoutTheInputTransformTheGraphMatchesToo(string backbone)
    {
        torch.manual_seed(9);
        using var model = new EmbeddingModel(ModelFactory.CreateBackbone(backbone, new BackboneOptions { TransformInput = false, ChannelsLast = false }), 16);
        model.eval();
        using var session = OnnxParityFixture.Session(OnnxExporter.ToBytes(model, OnnxParityFixture.Preprocessing(backbone)));

        double error = OnnxParityFixture.MaxError(model, session, backbone, OnnxParityFixture.RandomImages(backbone, 3, seed: 10));

        Assert.InRange(error, 0, 1e-5);
    }

    [Fact]
    public void ClipModelsAndAMismatchedPreprocessingAreRefused()
    {
        var clip = new EmbeddingModel(new ClipEmbeddingModel(ModelFactory.CreateBackbone("small_cnn", inputChannels: 3, width: 4), 2, 8));
        using (clip)
            Assert.Contains("clip models", Assert.Throws<NotSupportedException>(() => OnnxExporter.ToBytes(clip, OnnxParityFixture.Preprocessing("resnet18"))).Message);
        using var grey = OnnxParityFixture.Model("small_cnn", seed: 1);
        Assert.Contains("3 channel(s)", Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(grey, OnnxParityFixture.Preprocessing("resnet18"))).Message);
        Assert.Contains("xbm.backbone", Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(grey, OnnxParityFixture.Preprocessing("small_cnn"),
            new Dictionary<string, string> { ["xbm.backbone"] = "x" })).Message);
    }
}
