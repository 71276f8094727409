using System.Text.RegularExpressions;
using Xbm.Configuration;
using Xbm.Tests.Data.Images;
using Xbm.Training;

namespace Xbm.Tests.Configuration;

/// <summary>
/// configs/examples/folder.yaml and csv.yaml: every data key is there with a comment, and each example trains a
/// few iterations on generated PNG files with only its root, iterations, memory start and (for speed) crop size overridden.
/// </summary>
public sealed class ExampleConfigTests : IDisposable
{
    /// <summary>The data keys a folder or CSV dataset reads (DatasetReaderFactory.Load and ReadTransform).</summary>
    private static readonly string[] DataKeys =
    [
        "dataset", "root", "normalization", "image_size", "resize", "mean", "std", "channel_order", "pixel_range", "bounding_box",
        "augmentation", "random_resized_crop", "resize_first", "scale_min", "scale_max", "ratio_min", "ratio_max", "flip",
        "on_bad_image", "check_files", "workers", "validation_fraction", "train_fraction", "seed", "recall_at",
    ];

    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-examples");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Example(string name) =>
        Path.Combine(Xbm.Tests.Models.PaperConfigTestsAccess.RepositoryRoot(), "configs", "examples", name);

    [Theory]
    [InlineData("folder.yaml")]
    [InlineData("csv.yaml")]
    public void EveryDataKeyIsThereWithAComment(string name)
    {
        var lines = File.ReadAllLines(Example(name));
        int start = Array.IndexOf(lines, "data:");
        Assert.True(start >= 0, "a data section");
        var block = lines.Skip(start + 1).TakeWhile(l => l.StartsWith(' ') || l.Length == 0).ToList();
        var keyLines = block.Select(l => Regex.Match(l, @"^\s+([a-z_]+):")).Where(m => m.Success).ToList();
        Assert.Equal(DataKeys.Order(StringComparer.Ordinal), keyLines.Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal));
        Assert.All(block.Where(l => Regex.IsMatch(l, @"^\s+[a-z_]+:")), l => Assert.Contains("#", l));
    }

    [Fact]
    public void FolderExampleTrainsOnAFolderOfPngs()
    {
        string root = Path.Combine(_folder, "images");
        PngFolders.Write(root, ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"], 4, side: 40);
        Train(Example("folder.yaml"), root);
    }

    [Fact]
    public void CsvExampleTrainsOnAListedFolderOfPngs()
    {
        string root = Path.Combine(_folder, "images");
        var paths = PngFolders.Write(root, ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"], 4, side: 40);
        string csv = Path.Combine(_folder, "manifest.csv");
        File.WriteAllLines(csv, new[] { "path,label" }.Concat(paths.Select(p => $"{Path.GetRelativePath(_folder, p)},{Path.GetFileName(Path.GetDirectoryName(p))}")));
        Train(Example("csv.yaml"), csv);
    }

    private void Train(string example, string root)
    {
        string run = Path.Combine(_folder, "run");
        var config = ConfigLoader.Load(example, [$"data.root={root}", "iterations=3", "memory.start_iteration=2", "threads=1", "data.image_size=32", "data.resize=36"]);
        using var training = TrainingRun.Create(config, run);
        var result = training.Trainer.Run();
        Assert.Equal(3, result.Iterations);
        Assert.InRange(result.FinalMetrics["test"]["Recall@1"], 0, 1);
        Assert.True(training.Memory!.Count > 0, "the example's memory is used");
        Assert.Equal(["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"], training.Data.ClassNames!.OrderBy(p => p.Key).Select(p => p.Value));
    }
}
