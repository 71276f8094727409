namespace Xbm.Tests;

internal static class TestPaths
{
    /// <summary>The committed Fashion-MNIST subset (150 images per class, official file names).</summary>
    public static string FashionMnistFixture => Path.Combine(AppContext.BaseDirectory, "Fixtures", "FashionMnist");

    /// <summary>A fresh temporary folder under the system temp folder.</summary>
    public static string NewTemporaryFolder(string prefix)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A tiny Fashion-MNIST configuration on the fixture: fast enough for a test.</summary>
    public static string TinyConfig(bool memory, long iterations = 300) => $"""
        seed: 1
        iterations: {iterations}
        threads: 1
        data:
          dataset: fashion_mnist
          root: {FashionMnistFixture}
        model:
          backbone: small_cnn
          width: 8
          dimension: 32
        sampler:
          classes_per_batch: 5
          images_per_class: 4
        loss:
          name: contrastive
        optimizer:
          name: adam
          lr: 1.0e-3
        evaluation:
          every: 0
        checkpoint:
          every: 100
        logging:
          every: 10
          tensorboard: false
        memory: {(memory ? "{kind: fifo, size: 400, start_iteration: 50, weight: 1.0}" : "none")}
        """;
}
