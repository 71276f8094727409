using Xbm.Configuration;
using Xbm.Data;
using Xbm.Tests.Data;
using Xbm.Training;

namespace Xbm.Tests.Cli;

/// <summary>
/// Tiny trained runs shared by the CLI tests: two on the Fashion-MNIST fixture (without and with memory, 12
/// iterations, 30 images per class) and one on the folder-per-class fixture (real image files).
/// </summary>
public sealed class TinyRuns : IDisposable
{
    public const int PerClass = 30;

    public TinyRuns()
    {
        Directory.CreateDirectory(Folder);
        NoMemory = Train("no_memory", FashionYaml("tiny_no_memory", "memory: none\n"));
        Xbm = Train("xbm", FashionYaml("tiny_xbm", "memory:\n  kind: fifo\n  start_iteration: 4\n"));
        Files = Train("folder", Common("tiny_folder", 3, 2,
            $"data:\n  dataset: folder\n  root: {FolderDataset}\n  image_size: 16\n  resize: 20\n  workers: 1\nmemory: none\n"));
        Test = FashionMnist.LoadSplits(new FashionMnistOptions { Root = FashionFixture.Root, MaxPerClass = PerClass }).Test[0];
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"xbm-cli-{Guid.NewGuid():N}");

    public static string FolderDataset => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Datasets", "folder");

    /// <summary>Fashion-MNIST fixture run without memory.</summary>
    public string NoMemory { get; }

    /// <summary>Fashion-MNIST fixture run with a FIFO memory from iteration 4.</summary>
    public string Xbm { get; }

    /// <summary>Folder-dataset run (image files).</summary>
    public string Files { get; }

    /// <summary>The Fashion runs' test protocol (classes 5–9, 30 images each), as the runs load it.</summary>
    public EvaluationSet Test { get; }

    /// <summary>A fresh folder for one test's outputs.</summary>
    public string Scratch(string name) => Directory.CreateDirectory(Path.Combine(Folder, "scratch", name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    /// <summary>A tiny run's YAML (with a device key): the shared settings plus <paramref name="rest"/> (data, memory).</summary>
    public static string Common(string name, int iterations, int imagesPerClass, string rest) =>
        $"name: {name}\nseed: 0\niterations: {iterations}\ndevice: cpu\n"
        + $"model:\n  backbone: small_cnn\n  dimension: 8\n  width: 4\nsampler:\n  classes_per_batch: 2\n  images_per_class: {imagesPerClass}\n"
        + "loss:\n  name: contrastive\noptimizer:\n  name: adam\n  lr: 1.0e-3\nevaluation:\n  every: 6\ncheckpoint:\n  every: 0\n  keep: 1\n"
        + "logging:\n  every: 2\n  tensorboard: false\n" + rest;

    /// <summary>A tiny Fashion-MNIST fixture config of <paramref name="iterations"/> iterations with the given memory section.</summary>
    public static string FashionYaml(string name, string memory, int iterations = 12) =>
        Common(name, iterations, 4, $"data:\n  dataset: fashion_mnist\n  root: {FashionFixture.Root}\n  max_per_class: {PerClass}\n" + memory);

    private string Train(string name, string yaml)
    {
        string folder = Path.Combine(Folder, name);
        using var run = TrainingRun.Create(ConfigLoader.Parse(yaml, name + ".yaml"), folder);
        run.Trainer.Run(resume: false);
        return folder;
    }

    public void Dispose()
    {
        if (Directory.Exists(Folder))
            Directory.Delete(Folder, recursive: true);
    }
}
