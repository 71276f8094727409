using Xbm.IO;
using Xbm.IO.Onnx;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>
/// What <see cref="OnnxResNetImporter"/> found in an ONNX ResNet: its weights under torchvision's state_dict names,
/// its depth and blocks per stage, and the graph values it reads and writes.
/// </summary>
public sealed record OnnxResNetImport
{
    /// <summary>The ONNX file.</summary>
    public required string Source { get; init; }

    /// <summary>34 for blocks [3, 4, 6, 3], else 18 (the backbone to build; <see cref="Blocks"/> gives the counts).</summary>
    public required int Depth { get; init; }

    /// <summary>Blocks per stage, layer1 to layer4 ([2, 2, 2, 3] for CNTK's ResNet-18).</summary>
    public required IReadOnlyList<int> Blocks { get; init; }

    /// <summary>True when <see cref="Blocks"/> differ from the depth's own, so that model.blocks must be set.</summary>
    public bool CustomBlocks => !Blocks.SequenceEqual(Depth == 34 ? [3, 4, 6, 3] : [2, 2, 2, 2]);

    /// <summary>The backbone options that take these weights: <see cref="Blocks"/> when custom.</summary>
    public BackboneOptions Options(BackboneOptions? others = null) =>
        (others ?? new BackboneOptions()) with { Blocks = CustomBlocks ? Blocks : null };

    /// <summary>
    /// The layers with CNTK's asymmetric "same" padding, each with its pads and input size: accepted because at those
    /// (even) sizes they compute what torchvision's symmetric padding computes.
    /// </summary>
    public required IReadOnlyList<string> AsymmetricPadding { get; init; }

    /// <summary>The graph input the first convolution reads (name and shape).</summary>
    public required OnnxValueInfo Input { get; init; }

    /// <summary>The value written by the global average pooling after layer4: the features.</summary>
    public required string FeatureOutput { get; init; }

    /// <summary>
    /// The weights by torchvision name (conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var,
    /// layer1.0.conv1.weight, …, layer2.0.downsample.0.weight, layer2.0.downsample.1.*), each with the ONNX
    /// initializer it came from.
    /// </summary>
    public required IReadOnlyDictionary<string, OnnxTensor> Tensors { get; init; }

    /// <summary>
    /// Writes the weights as a .safetensors file (float32, torchvision names, BatchNorm num_batches_tracked counters 0) with
    /// metadata naming the source file, the depth, the blocks, the padding found and the feature output.
    /// </summary>
    public void Save(string path)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, t) in Tensors)
                tensors[name] = tensor(t.Values, t.Shape);
            // BatchNorm counters as torchvision writes them (0: the ONNX graph has none), so loading reports nothing missing.
            foreach (string bn in Tensors.Keys.Where(k => k.EndsWith(".running_mean", StringComparison.Ordinal)))
                tensors[bn[..^".running_mean".Length] + ".num_batches_tracked"] = tensor(0L);
            SafeTensors.Save(path, tensors, new Dictionary<string, string>
            {
                ["source"] = Path.GetFileName(Source),
                ["format"] = "onnx",
                ["backbone"] = $"resnet{Depth}",
                ["asymmetric_padding"] = AsymmetricPadding.Count == 0 ? "none" : $"{AsymmetricPadding.Count} layers (CNTK 'same', equal to torchvision's at the graph's input size)",
                ["blocks"] = $"[{string.Join(", ", Blocks)}]",
                ["onnx_input"] = Input.ToString(),
                ["onnx_features"] = FeatureOutput,
            });
        }
        finally
        {
            foreach (var t in tensors.Values)
                t.Dispose();
        }
    }
}
