using System.Text.Json;
using Xbm.IO;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

/// <summary>Reads tests/Xbm.Tests/Fixtures/Models (written by tools/fixtures/make_backbone_fixtures.py).</summary>
internal static class BackboneFixtures
{
    public static readonly string[] Architectures = ["resnet18", "resnet34", "resnet50", "googlenet", "bn_inception"];

    private static readonly Lazy<JsonDocument> Summary = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "keys.json"))));

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Models");

    /// <summary>The reference state_dict keys, shapes and value sums (torchvision's keys, including classifier and aux heads).</summary>
    public static List<(string Key, long[] Shape, double Sum)> Keys(string arch) =>
        Summary.Value.RootElement.GetProperty(arch).GetProperty("keys").EnumerateArray()
            .Select(e => (e[0].GetString()!, e[1].EnumerateArray().Select(x => x.GetInt64()).ToArray(), e[2].GetDouble()))
            .ToList();

    public static double InputSum() => Summary.Value.RootElement.GetProperty("input").GetProperty("sum").GetDouble();

    /// <summary>The reference feature map before pooling (float32, 2×C×2×2).</summary>
    public static Tensor Features(string arch)
    {
        var (tensors, _) = SafeTensors.Load(Path.Combine(Directory, $"{arch}.safetensors"));
        return tensors["features"];
    }

    /// <summary>The C# backbone in the fixture's configuration (BN-Inception fed raw Caffe input, GoogLeNet with transform_input).</summary>
    public static Backbone Create(string arch) => ModelFactory.CreateBackbone(arch, new BackboneOptions { TransformInput = arch != "bn_inception" });
}
