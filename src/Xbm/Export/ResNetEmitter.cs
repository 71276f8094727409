using TorchSharp.Modules;
using Xbm.Models;
using BatchNorm2d = Xbm.Models.BatchNorm2d;

namespace Xbm.Export;

/// <summary>ResNet's operators: conv1, bn1, ReLU, 3×3 max pooling (stride 2, padding 1), layer1 to layer4, global pooling.</summary>
internal static class ResNetEmitter
{
    /// <summary>Writes <paramref name="model"/>; returns the pooled features' name.</summary>
    public static string Emit(OnnxGraphBuilder g, ResNet model, string input)
    {
        var children = ModuleEmitter.Children(model);
        string x = ModuleEmitter.Conv(g, (Conv2d)children["conv1"], input, "conv1");
        x = ModuleEmitter.BatchNorm(g, (BatchNorm2d)children["bn1"], x, "bn1");
        x = ModuleEmitter.Relu(g, x, "relu");
        x = ModuleEmitter.MaxPool(g, x, "maxpool", 3, 2, 1, ceil: false);
        foreach (string layer in new[] { "layer1", "layer2", "layer3", "layer4" })
            x = ModuleEmitter.Module(g, children[layer], x, layer);
        return ModuleEmitter.Module(g, children["pool"], x, "pool");
    }
}
