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

    /// <summary>
    /// A folder inside <paramref name="scratch"/> where no file can be created: read-only by its mode bits, or,
    /// where those do not bind (tests running as root), /sys/kernel, which refuses new files even to root.
    /// </summary>
    public static string UnwritableFolder(string scratch)
    {
        string folder = Directory.CreateDirectory(Path.Combine(scratch, "read-only-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (!CanCreateFileIn(folder))
            return folder;
        if (Directory.Exists("/sys/kernel") && !CanCreateFileIn("/sys/kernel"))
            return "/sys/kernel";
        throw new InvalidOperationException($"no folder refuses new files here ({folder} is writable despite its mode)");
    }

    private static bool CanCreateFileIn(string folder)
    {
        try
        {
            using (new FileStream(Path.Combine(folder, ".probe-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
                return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
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
