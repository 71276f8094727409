using Xbm.Models;

namespace Xbm.Export;

/// <summary>The small CNN's operators: its <c>features</c> sequence (conv, BatchNorm, ReLU, max pooling), then global pooling.</summary>
internal static class SmallCnnEmitter
{
    /// <summary>Writes <paramref name="model"/>; returns the pooled features' name.</summary>
    public static string Emit(OnnxGraphBuilder g, SmallCnn model, string input)
    {
        var children = ModuleEmitter.Children(model);
        string x = ModuleEmitter.Module(g, children["features"], input, "features");
        return ModuleEmitter.Module(g, children["pool"], x, "pool");
    }
}
