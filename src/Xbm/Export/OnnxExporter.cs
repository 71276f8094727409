using System.Globalization;
using TorchSharp.Modules;
using Xbm.Inference;
using Xbm.IO;
using Xbm.Models;

namespace Xbm.Export;

/// <summary>
/// Exports an image <see cref="EmbeddingModel"/> as an ONNX model built from its module tree (TorchSharp has no
/// exporter): backbone, global pooling, head and L2 normalisation, BatchNorm in eval mode (running statistics), so
/// the graph computes what the model computes in eval mode. Input "images" is float32 NCHW [batch, C, height, width]
/// with batch, height and width dynamic, whatever the layout the run trained in (channels-last weights are written
/// in NCHW order); output "embeddings" is [batch, d], unit-length rows. Operator set 17 (<see cref="OnnxWriter"/>).
/// The preprocessing goes into the metadata ("xbm.input.*", <see cref="ImagePreprocessing"/>), with "xbm.backbone",
/// "xbm.dimension" and any extra entries. A classifier (classification task) is not exported: the graph embeds.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The graph input's name.</summary>
    public const string InputName = "images";

    /// <summary>The graph output's name.</summary>
    public const string OutputName = "embeddings";

    /// <summary>Exports <paramref name="model"/> to <paramref name="path"/>, written atomically.</summary>
    /// <param name="model">An image embedding model (not a clip model).</param>
    /// <param name="preprocessing">The test-time preprocessing its inputs need.</param>
    /// <param name="path">The .onnx file.</param>
    /// <param name="metadata">Extra metadata entries (e.g. the checkpoint exported), or null.</param>
    public static void Export(EmbeddingModel model, ImagePreprocessing preprocessing, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] bytes = ToBytes(model, preprocessing, metadata);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The ONNX model's bytes (see <see cref="Export"/>).</summary>
    public static byte[] ToBytes(EmbeddingModel model, ImagePreprocessing preprocessing, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (model.Clip is not null)
            throw new NotSupportedException("ONNX export: clip models (data.dataset: clips) are not exported; only image models are");
        var backbone = model.Backbone;
        long channels = backbone.modules().OfType<Conv2d>().First().in_channels;
        if (channels != preprocessing.Channels)
            throw new ArgumentException($"the preprocessing gives {preprocessing.Channels} channel(s) but the model's first convolution takes {channels}", nameof(preprocessing));

        var g = new OnnxGraphBuilder();
        string input = g.Input(new OnnxGraphValue(InputName, 1,
            [OnnxDimension.Dynamic("batch"), OnnxDimension.Fixed(channels), OnnxDimension.Dynamic("height"), OnnxDimension.Dynamic("width")]));
        string features = BackboneEmitter.Emit(g, backbone, input);
        var head = ModuleEmitter.Children(ModuleEmitter.Children(model)["head"]);
        string projected = ModuleEmitter.Gemm(g, (Linear)head["fc"], features, "head.fc");
        string normalised = Normalize(g, projected);
        g.Output(normalised, new OnnxGraphValue(OutputName, 1, [OnnxDimension.Dynamic("batch"), OnnxDimension.Fixed(model.Dimension)]));

        var entries = new List<KeyValuePair<string, string>>
        {
            new("xbm.format", "1"),
            new("xbm.backbone", backbone.GetType().Name),
            new("xbm.dimension", model.Dimension.ToString(CultureInfo.InvariantCulture)),
            new("xbm.layout", "NCHW"),
        };
        entries.AddRange(preprocessing.ToMetadata());
        if (metadata is not null)
            foreach (var entry in metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                if (entries.Any(e => e.Key == entry.Key))
                    throw new ArgumentException($"metadata key '{entry.Key}' is written by the exporter itself", nameof(metadata));
                entries.Add(entry);
            }
        string version = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";
        return OnnxWriter.Serialize(g, "xbm_" + backbone.GetType().Name, entries, version);
    }

    /// <summary>x / max(‖x‖₂, 1e-12) per row, as <c>functional.normalize(x, p: 2, dim: 1)</c>.</summary>
    private static string Normalize(OnnxGraphBuilder g, string x)
    {
        string norm = g.Add("ReduceL2", [x], "normalize.norm", OnnxAttributeValue.Of("axes", [1L]), OnnxAttributeValue.Of("keepdims", 1L));
        string clamped = g.Add("Max", [norm, g.Floats("normalize.eps", [1e-12f])], "normalize.clamp");
        return g.Add("Div", [x, clamped], "normalize");
    }
}
