using Xbm.Configuration;
using Xbm.Models;
using YamlDotNet.Serialization;

namespace Xbm.Tests.Models;

/// <summary>configs/paper: every file resolves, its model section builds, and its numbers fit the dataset and docs/design.md.</summary>
public class PaperConfigTests
{
    private static readonly Dictionary<string, long> TrainImages = new()
    {
        ["sop"] = 59551, ["inshop"] = 25882, ["cub"] = 5864, ["cars196"] = 8054, ["vehicleid"] = 110178,
    };

    private static readonly Dictionary<string, long[]> RecallAt = new() // docs/design.md §5
    {
        ["sop"] = [1, 10, 100, 1000], ["inshop"] = [1, 10, 20, 30, 40, 50], ["cub"] = [1, 2, 4, 8], ["cars196"] = [1, 2, 4, 8], ["vehicleid"] = [1, 5],
    };

    private static string ConfigDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Xbm.slnx")))
            dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Xbm.slnx) not found"), "configs", "paper");
    }

    private static IEnumerable<string> FileNames() =>
        Directory.GetFiles(ConfigDirectory(), "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);

    public static TheoryData<string> Files => new(FileNames());

    private static Dictionary<string, object?> Resolve(string file)
    {
        var tree = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(File.ReadAllText(Path.Combine(ConfigDirectory(), file)));
        if (!tree.Remove("extends", out var parent))
            return tree;
        var resolved = Resolve((string)parent!);
        foreach (var (k, v) in tree)
            resolved[k] = v; // the extending file's sections replace the parent's (they restate whole sections)
        return resolved;
    }

    private static Dictionary<string, object?> Map(object? value) =>
        ((IDictionary<object, object?>)value!).ToDictionary(p => (string)p.Key, p => p.Value);

    [Theory]
    [MemberData(nameof(Files))]
    public void ConfigIsConsistentWithTheDatasetAndTheSpec(string file)
    {
        var config = Resolve(file);
        string text = File.ReadAllText(Path.Combine(ConfigDirectory(), file));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), config["name"]);
        Assert.Contains("Recall@1", File.ReadAllText(Path.Combine(ConfigDirectory(), file.Replace("_contrastive.yaml", "_contrastive_xbm.yaml"))));
        Assert.StartsWith("#", text); // every file explains itself

        string dataset = (string)Map(config["data"])["dataset"]!;
        long iterations = long.Parse((string)config["iterations"]!);
        var sampler = Map(config["sampler"]);
        Assert.Equal(64, long.Parse((string)sampler["classes_per_batch"]!) * long.Parse((string)sampler["images_per_class"]!));
        var recall = ((IEnumerable<object>)Map(config["evaluation"])["recall_at"]!).Select(o => long.Parse((string)o)).ToArray();
        Assert.Equal(RecallAt[dataset], recall);

        if (config["memory"] is string none)
        {
            Assert.Equal("none", none);
            Assert.EndsWith("_contrastive.yaml", file);
        }
        else
        {
            var memory = Map(config["memory"]);
            Assert.Contains("_xbm", (string)config["name"]!, StringComparison.Ordinal);
            Assert.InRange(long.Parse((string)memory["size"]!), 1, TrainImages[dataset]);
            Assert.InRange(long.Parse((string)memory["start_iteration"]!), 1, iterations - 1);
        }
    }

    [Fact]
    public void EveryModelSectionBuilds()
    {
        var built = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in FileNames())
        {
            var model = Map(Resolve(file)["model"]);
            string backbone = (string)model["backbone"]!;
            Assert.Equal($"weights/{backbone}.safetensors", model["weights"]);
            model.Remove("weights"); // the ImageNet weights are the user's to convert (docs/weights.md)
            string key = string.Join(";", model.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
            if (!built.Add(key))
                continue;
            using var model_ = ModelFactory.Create(new ConfigSection(model, file, "model"));
            Assert.Equal(long.Parse((string)model["dimension"]!), model_.Dimension);
        }
        Assert.Equal(3, built.Count); // ResNet-50 128, BN-Inception 512, GoogLeNet 512
    }
}

/// <summary>Shared access to the repository root for config tests.</summary>
internal static class PaperConfigTestsAccess
{
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Xbm.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Xbm.slnx) not found");
    }
}
