using Xbm.Models;

namespace Xbm.Export;

/// <summary>
/// GoogLeNet's operators: the optional input transform (ImageNet-normalised RGB to (p − 0.5) / 0.5), the stem,
/// the Inception blocks with the max poolings between them (ceil mode), global pooling.
/// </summary>
internal static class GoogLeNetEmitter
{
    /// <summary>Writes <paramref name="model"/>; returns the pooled features' name.</summary>
    public static string Emit(OnnxGraphBuilder g, GoogLeNet model, string input)
    {
        var children = ModuleEmitter.Children(model);
        string Run(string name, string x) => ModuleEmitter.Module(g, children[name], x, name);
        string x = model.TransformInput ? Transform(g, input) : input;
        x = ModuleEmitter.MaxPool(g, Run("conv1", x), "maxpool1", 3, 2, 0, ceil: true);
        x = ModuleEmitter.MaxPool(g, Run("conv3", Run("conv2", x)), "maxpool2", 3, 2, 0, ceil: true);
        x = Run("inception3b", Run("inception3a", x));
        x = ModuleEmitter.MaxPool(g, x, "maxpool3", 3, 2, 0, ceil: true);
        foreach (string block in new[] { "inception4a", "inception4b", "inception4c", "inception4d", "inception4e" })
            x = Run(block, x);
        x = ModuleEmitter.MaxPool(g, x, "maxpool4", 2, 2, 0, ceil: true);
        x = Run("inception5b", Run("inception5a", x));
        return Run("pool", x);
    }

    /// <summary>x · (std / 0.5) + (mean − 0.5) / 0.5 per channel, as <see cref="GoogLeNet"/> computes it.</summary>
    private static string Transform(OnnxGraphBuilder g, string input)
    {
        var mean = InputSpec.ImageNet.Mean;
        var std = InputSpec.ImageNet.Std;
        var scale = Enumerable.Range(0, 3).Select(c => (float)(std[c] / 0.5)).ToArray();
        var shift = Enumerable.Range(0, 3).Select(c => (float)((mean[c] - 0.5) / 0.5)).ToArray();
        return BackboneEmitter.ChannelAffine(g, input, "transform_input", scale, shift);
    }
}
