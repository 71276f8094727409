using Xbm.Configuration;

namespace Xbm.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-config");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ExtendsMergesDeeplyAndTheExtendingFileWins()
    {
        File.WriteAllText(Path.Combine(_folder, "base.yaml"), "seed: 1\noptimizer:\n  name: adam\n  lr: 0.1\nmemory: none\n");
        File.WriteAllText(Path.Combine(_folder, "child.yaml"), "extends: base.yaml\noptimizer:\n  lr: 0.5\nmemory: {kind: fifo, size: 10}\n");
        var config = ConfigLoader.Load(Path.Combine(_folder, "child.yaml"));
        var optimizer = config.Section("optimizer");
        Assert.Equal("adam", optimizer.String("name", ""));
        Assert.Equal(0.5, optimizer.Double("lr", 0));
        Assert.Equal(1, config.Long("seed", 0));
        Assert.Equal(10, config.Section("memory", "kind").Long("size", 0));
    }

    [Fact]
    public void SetOverridesUseTheSectionShorthandKey()
    {
        var config = ConfigLoader.Parse("memory: none\nloss: contrastive\n", "x.yaml", new[] { "memory.size=5", "loss.margin=0.3", "sampler.images_per_class=[1, 2]" });
        var memory = config.Section("memory", ConfigLoader.ShorthandKey("memory"));
        Assert.Equal("none", memory.String("kind", ""));
        Assert.Equal(5, memory.Long("size", 0));
        var loss = config.Section("loss");
        Assert.Equal("contrastive", loss.String("name", ""));
        Assert.Equal(new long[] { 1, 2 }, config.Section("sampler").LongList("images_per_class", Array.Empty<long>()));
    }

    [Fact]
    public void YamlSyntaxErrorsNameTheFileAndLine()
    {
        string path = Path.Combine(_folder, "broken.yaml");
        File.WriteAllText(path, "seed: 1\noptimizer:\n  lr: 0.1\n   name: adam\n");
        Assert.StartsWith($"{path}: line 4", Assert.Throws<ConfigException>(() => ConfigLoader.Load(path)).Message);

        File.WriteAllText(path, "seed: 1\noptimizer:\n  lr: [0.1\n  name: adam\n");
        Assert.StartsWith($"{path}: ", Assert.Throws<ConfigException>(() => ConfigLoader.Load(path)).Message);
    }

    [Fact]
    public void ExtendsCyclesAreDetected()
    {
        File.WriteAllText(Path.Combine(_folder, "a.yaml"), "extends: b.yaml\n");
        File.WriteAllText(Path.Combine(_folder, "b.yaml"), "extends: a.yaml\n");
        Assert.Contains("cycle", Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.Combine(_folder, "a.yaml"))).Message);
    }

    [Theory]
    [InlineData("iterations: many", "x.yaml: iterations: 'many' is not an integer")]
    [InlineData("iterations: 0", "x.yaml: iterations: 0 is out of range [1, inf]")]
    [InlineData("iterations: [1, 2]", "x.yaml: iterations: expected a value, found a list")]
    [InlineData("iterations: {a: 1}", "x.yaml: iterations: expected a value, found a mapping")]
    public void TypedGettersNameTheKey(string yaml, string expected)
    {
        var config = ConfigLoader.Parse(yaml, "x.yaml");
        Assert.Equal(expected, Assert.Throws<ConfigException>(() => config.Long("iterations", 1, min: 1)).Message);
    }

    [Fact]
    public void EnsureAllUsedRejectsUnreadKeys()
    {
        var config = ConfigLoader.Parse("seed: 1\nsede: 2\n", "x.yaml");
        config.Long("seed", 0);
        Assert.Equal("x.yaml: sede: unknown key (did you mean seed?)", Assert.Throws<ConfigException>(config.EnsureAllUsed).Message);
    }

    [Fact]
    public void ResolvedYamlRoundTrips()
    {
        var config = ConfigLoader.Parse("seed: 3\noptimizer: {name: adam, lr: 1.0e-4}\nlist: [1, 2]\nroot: \"/a: b\"\nmemory: none\n", "x.yaml");
        string yaml = ConfigLoader.ToYaml(config.Values.ToDictionary(p => p.Key, p => p.Value));
        var again = ConfigLoader.Parse(yaml, "again.yaml");
        Assert.Equal(yaml, ConfigLoader.ToYaml(again.Values.ToDictionary(p => p.Key, p => p.Value)));
        Assert.Equal("/a: b", again.String("root", ""));
        Assert.Equal(1e-4, again.Section("optimizer").Double("lr", 0));
    }
}
