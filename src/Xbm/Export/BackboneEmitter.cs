using Xbm.Models;

namespace Xbm.Export;

/// <summary>
/// Writes a backbone's ONNX operators, from the images to the pooled features (N×C), by choosing the emitter of its
/// architecture. Each emitter follows its backbone's forward step by step.
/// </summary>
internal static class BackboneEmitter
{
    /// <summary>Writes <paramref name="backbone"/> reading <paramref name="input"/>; returns the features' name.</summary>
    public static string Emit(OnnxGraphBuilder g, Backbone backbone, string input) => backbone switch
    {
        SmallCnn small => SmallCnnEmitter.Emit(g, small, input),
        ResNet resnet => ResNetEmitter.Emit(g, resnet, input),
        GoogLeNet googlenet => GoogLeNetEmitter.Emit(g, googlenet, input),
        BnInception bnInception => BnInceptionEmitter.Emit(g, bnInception, input),
        _ => throw new NotSupportedException($"ONNX export: the backbone {backbone.GetType().Name} has no emitter"),
    };

    /// <summary>
    /// A per-channel affine map x · scale[c] + shift[c] on N×C×H×W, after an optional channel permutation
    /// (output channel c reads input channel <paramref name="order"/>[c]): the input transforms of GoogLeNet and
    /// BN-Inception, in float32 as TorchSharp computes them.
    /// </summary>
    public static string ChannelAffine(OnnxGraphBuilder g, string input, string path, float[] scale, float[] shift, long[]? order = null)
    {
        string x = input;
        if (order is not null)
            x = g.Add("Gather", [x, g.Longs(path + ".order", order, order.Length)], path + ".gather", OnnxAttributeValue.Of("axis", 1L));
        x = g.Add("Mul", [x, g.Floats(path + ".scale", scale, 1, scale.Length, 1, 1)], path + ".mul");
        return g.Add("Add", [x, g.Floats(path + ".shift", shift, 1, shift.Length, 1, 1)], path);
    }
}
