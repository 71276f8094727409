namespace Xbm.Models;

/// <summary>
/// Locates the files of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (MIT): an ImageNet-trained
/// ResNet-18 exported from CNTK to ONNX (<see cref="ResNet18File"/>), and the graph that prepares its input
/// (<see cref="PreprocessFile"/>: RGB in [0, 255] to BGR minus a 224×224 mean image). The package lands in the
/// NuGet global packages folder on any restore that references it (the test project does, with PackageDownload).
/// </summary>
public static class DnnImageFeaturizerPackage
{
    /// <summary>The package id.</summary>
    public const string Id = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version whose files are used.</summary>
    public const string Version = "0.24.0";

    /// <summary>The name <c>xbm weights import</c> accepts for this model.</summary>
    public const string ModelName = "resnet18-imagenet";

    /// <summary>
    /// The per-channel mean of the package's mean image, in B, G, R order on the 0–255 scale (rounded to 0.01): the
    /// <c>data.mean</c> that approximates its preprocessing at any resolution (docs/weights.md).
    /// </summary>
    public static IReadOnlyList<double> MeanBgr { get; } = [103.06, 115.90, 123.15];

    /// <summary>
    /// The NuGet global packages folder: NUGET_PACKAGES if set, else ~/.nuget/packages.
    /// </summary>
    public static string PackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The package folder (it may not exist).</summary>
    public static string Folder => Path.Combine(PackagesFolder, Id.ToLowerInvariant(), Version);

    /// <summary>The ONNX ResNet-18 (it may not exist).</summary>
    public static string ResNet18File => Path.Combine(Folder, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The ONNX preprocessing graph (it may not exist).</summary>
    public static string PreprocessFile => Path.Combine(Folder, "tools", "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>
    /// <see cref="ResNet18File"/>, or a <see cref="FileNotFoundException"/> that names the path and says how to get
    /// the package.
    /// </summary>
    public static string RequireResNet18File()
    {
        string path = ResNet18File;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{path}: does not exist; the NuGet package {Id} {Version} is not in {PackagesFolder}. Restore it once, e.g. "
                + "`dotnet restore tests/Xbm.Tests` (the test project downloads it), or pass --onnx FILE", path);
        return path;
    }
}
