using Xbm.Configuration;
using Xbm.Data.Manifest;
using Xbm.Training;

namespace Xbm.Tests.Configuration;

/// <summary>Configuration errors that used to mislead (issue 12): each names the real problem, its file and its place.</summary>
public sealed class ConfigMessagesTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-config-messages");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string yaml)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Theory]
    [InlineData("memroy:\n  size: 10\niterations: 10\n", "child.yaml: memroy: unknown key (did you mean memory?)")]
    [InlineData("memory:\n  wieght: 2\niterations: 10\n", "child.yaml: memory.wieght: unknown key (did you mean weight?)")]
    [InlineData("sampler:\n  images_per_klass: 2\nschedule:\n  kind: step\n  step_at: [500]\niterations: 10\n", "child.yaml: sampler.images_per_klass: unknown key (did you mean images_per_class?)")]
    public void AnUnknownKeyIsReportedBeforeTheErrorsItCauses(string child, string expected)
    {
        // The base starts the memory at iteration 50; the child's 10 iterations would end before that.
        Write("base.yaml", TestPaths.TinyConfig(memory: true));
        string path = Write("child.yaml", "extends: base.yaml\n" + child);
        var config = ConfigLoader.Load(path);
        var e = Assert.Throws<ConfigException>(() => TrainingRun.Create(config, Path.Combine(_folder, "run")));
        Assert.Equal(path.Replace("child.yaml", "", StringComparison.Ordinal) + expected, e.Message);
    }

    [Fact]
    public void AFolderGivenAsAConfigIsNamedAsAFolder() =>
        Assert.Equal($"{_folder}: is a folder, expected a YAML config file (see configs/)",
            Assert.Throws<ConfigException>(() => ConfigLoader.Load(_folder)).Message);

    [Fact]
    public void AnEmptyFileSaysSoAndWhatAMinimalConfigHolds()
    {
        string path = Write("empty.yaml", "# nothing yet\n\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        Assert.StartsWith($"{path}: the file is empty", e.Message);
        Assert.Contains("data: {dataset: fashion_mnist}", e.Message);
        Assert.Contains("sampler:", e.Message);
    }

    [Fact]
    public void TheMinimalConfigOfTheEmptyFileMessageIsComplete()
    {
        // The message's example must itself pass the key checks (data root aside, which the test points at the fixture).
        string path = Write("minimal.yaml", $"data: {{dataset: fashion_mnist, root: {TestPaths.FashionMnistFixture}, max_per_class: 10}}\n"
            + "sampler: {classes_per_batch: 2, images_per_class: 8}\niterations: 1\nthreads: 1\nlogging: {tensorboard: false}\n");
        Assert.Contains("\"data: {dataset: fashion_mnist}\"", ConfigLoader.MinimalConfigHint);
        Assert.Contains("\"sampler: {classes_per_batch: 2, images_per_class: 8}\"", ConfigLoader.MinimalConfigHint);
        using var run = TrainingRun.Create(ConfigLoader.Load(path), Path.Combine(_folder, "run"), evaluateWhileTraining: false);
        Assert.Equal(16, run.Sampler.BatchSize);
    }

    [Theory]
    [InlineData("name: x\n\tseed: 0\n", 2, 1)]
    [InlineData("name: x\nmodel:\n  backbone: small_cnn\n \twidth: 3\n", 4, 2)]
    public void ATabInTheIndentationIsReportedAtItsLineAndColumn(string yaml, int line, int column)
    {
        string path = Write("tab.yaml", yaml);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        Assert.Equal($"{path}: line {line}, column {column}: a tab in the indentation; YAML indents with spaces only", e.Message);
    }

    [Fact]
    public void AMissingDatasetRootNamesTheFileAndDataRoot()
    {
        var data = ConfigLoader.Parse("data:\n  dataset: folder\n  root: /nope\n", "x.yaml").Section("data", ConfigLoader.ShorthandKey("data"));
        var e = Assert.Throws<ConfigException>(() => DatasetReaderFactory.Load(data, _ => { }));
        Assert.StartsWith("x.yaml: data.root: ", e.Message);
        Assert.Contains("/nope", e.Message);
    }

    [Fact]
    public void AKeyOfAMemoryThatIsOffSaysTheMemoryIsOff()
    {
        string path = Write("off.yaml", TestPaths.TinyConfig(memory: false));
        var config = ConfigLoader.Load(path, ["memory.size=1000"]);
        var e = Assert.Throws<ConfigException>(() => TrainingRun.Create(config, Path.Combine(_folder, "run")));
        Assert.Contains("memory.size: the memory is off (memory: none)", e.Message);
        Assert.Contains("memory.kind", e.Message);
        Assert.DoesNotContain("unknown key", e.Message);
    }

    [Theory]
    [InlineData("memroy", "memory")]
    [InlineData("sede", "seed")]
    [InlineData("iteration", "iterations")]
    [InlineData("xyz", null)]
    [InlineData("lr", null)]
    public void SuggestionsFindTyposOnly(string key, string? expected) =>
        Assert.Equal(expected, KeySuggestion.Closest(key, TrainingRun.TopLevelKeys.Append("lr2")));
}
