using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>A feature extractor: images (N×C×H×W) to pooled features (N×<see cref="FeatureDimension"/>).</summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates a backbone registered under <paramref name="name"/>.</summary>
    protected Backbone(string name) : base(name) { }

    /// <summary>Width of the pooled feature vector.</summary>
    public abstract long FeatureDimension { get; }
}
