using Xbm.Models;

namespace Xbm.Export;

/// <summary>
/// BN-Inception's operators: the optional input transform (ImageNet-normalised RGB to Caffe BGR on 0–255 minus the
/// Caffe mean), the stem, the ten blocks (1×1, 3×3, double 3×3 and pooling branches, concatenated), global pooling.
/// </summary>
internal static class BnInceptionEmitter
{
    /// <summary>Writes <paramref name="model"/>; returns the pooled features' name.</summary>
    public static string Emit(OnnxGraphBuilder g, BnInception model, string input)
    {
        string Run(string name, string x)
        {
            var (conv, bn) = model.UnitModules(name);
            x = ModuleEmitter.Conv(g, conv, x, name);
            x = ModuleEmitter.BatchNorm(g, bn, x, name + "_bn");
            return ModuleEmitter.Relu(g, x, name + "_relu");
        }
        string x = model.TransformInput ? Transform(g, input) : input;
        x = ModuleEmitter.MaxPool(g, Run("conv1_7x7_s2", x), "pool1_3x3_s2", 3, 2, 0, ceil: true);
        x = Run("conv2_3x3", Run("conv2_3x3_reduce", x));
        x = ModuleEmitter.MaxPool(g, x, "pool2_3x3_s2", 3, 2, 0, ceil: true);
        foreach (var b in BnInception.BlockSpecs)
        {
            string p = $"inception_{b.Name}_";
            var outputs = new List<string>(4);
            if (b.C1 > 0)
                outputs.Add(Run(p + "1x1", x));
            outputs.Add(Run(p + "3x3", Run(p + "3x3_reduce", x)));
            outputs.Add(Run(p + "double_3x3_2", Run(p + "double_3x3_1", Run(p + "double_3x3_reduce", x))));
            outputs.Add(b.Pool switch
            {
                BnInception.PoolKind.Reduction => ModuleEmitter.MaxPool(g, x, p + "pool", 3, 2, 0, ceil: true),
                BnInception.PoolKind.Average => Run(p + "pool_proj", ModuleEmitter.AveragePool(g, x, p + "pool", 3, 1, 1, ceil: true, countIncludePad: true)),
                _ => Run(p + "pool_proj", ModuleEmitter.MaxPool(g, x, p + "pool", 3, 1, 1, ceil: true)),
            });
            x = g.Add("Concat", outputs, p + "output", OnnxAttributeValue.Of("axis", 1L));
        }
        return ModuleEmitter.Module(g, ModuleEmitter.Children(model)["pool"], x, "pool");
    }

    /// <summary>BGR channel c from RGB channel 2 − c, x · std · 255 + mean · 255 − Caffe mean, as <see cref="BnInception"/> computes it.</summary>
    private static string Transform(OnnxGraphBuilder g, string input)
    {
        var mean = InputSpec.ImageNet.Mean;
        var std = InputSpec.ImageNet.Std;
        var caffeMean = InputSpec.CaffeBgr.Mean;
        var scale = Enumerable.Range(0, 3).Select(c => (float)(std[2 - c] * 255)).ToArray();
        var shift = Enumerable.Range(0, 3).Select(c => (float)(mean[2 - c] * 255 - caffeMean[c])).ToArray();
        return BackboneEmitter.ChannelAffine(g, input, "transform_input", scale, shift, [2, 1, 0]);
    }
}
