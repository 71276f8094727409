using TorchSharp;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>
/// A small embedding model whose initial weights are the same in every call. torch's default generator is
/// shared by all tests running in parallel, so <c>manual_seed</c> followed by construction can be raced;
/// tests that compare two runs (resume, drift) start from this copied initial state instead.
/// </summary>
internal static class FixedInitModel
{
    private static readonly Lazy<Dictionary<string, Tensor>> Initial = new(() =>
    {
        using var model = new EmbeddingModel(new SmallCnn(1, 4), 16);
        return model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
    });

    /// <summary>SmallCnn(width 4) with a 16-d head, loaded with the shared initial weights.</summary>
    public static EmbeddingModel Create()
    {
        var model = new EmbeddingModel(new SmallCnn(1, 4), 16);
        model.load_state_dict(Initial.Value);
        return model;
    }
}
