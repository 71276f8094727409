using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;
using SkiaSharp;
using Spectre.Console;
using Xbm.Cli.Commands;
using Xbm.Configuration;
using Xbm.Tests.Data.Images;
using Xbm.Training;
using Xbm.IO.Onnx;
using Xbm.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

/// <summary>
/// The ImageNet ResNet-18 of Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (ONNX, exported by CNTK), imported by
/// <c>xbm weights import</c> and loaded through model.weights into resnet18 with blocks [2, 2, 2, 3], gives the
/// features ONNX Runtime computes from the package's two graphs (preprocessing, then the network). The graph's
/// asymmetric CNTK padding needs no option: at its 224×224 input it computes what torchvision's padding computes.
/// </summary>
public sealed class OnnxResNet18ParityTests : IDisposable
{
    private const int Side = 224;
    private readonly string dir = Directory.CreateTempSubdirectory("xbm-onnx-").FullName;
    private readonly ITestOutputHelper output;

    public OnnxResNet18ParityTests(ITestOutputHelper output) => this.output = output;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>The package folder of the NuGet restore that built this test assembly (PackageDownload in Xbm.Tests.csproj).</summary>
    private static string PackageFolder
    {
        get
        {
            string root = typeof(OnnxResNet18ParityTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value is { Length: > 0 } r ? r : DnnImageFeaturizerPackage.PackagesFolder;
            return Path.Combine(root, DnnImageFeaturizerPackage.Id.ToLowerInvariant(), DnnImageFeaturizerPackage.Version, "tools", "DnnImageModels");
        }
    }

    private static string Require(string relative)
    {
        string path = Path.Combine(PackageFolder, relative);
        Assert.True(File.Exists(path), $"{path} is missing: the test project downloads {DnnImageFeaturizerPackage.Id} {DnnImageFeaturizerPackage.Version} on restore (PackageDownload); run `dotnet restore tests/Xbm.Tests`");
        return path;
    }

    private static string NetworkFile => Require(Path.Combine("ResNet18Onnx", "ResNet18.onnx"));

    private static string PreprocessFile => Require(Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    private static IAnsiConsole Quiet() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Ansi = AnsiSupport.No });

    /// <summary>Imports with the CLI and builds the model from a config section, as `xbm train` would.</summary>
    private EmbeddingModel ImportedModel()
    {
        string weights = Path.Combine(dir, "resnet18_imagenet.safetensors");
        Assert.Equal(0, WeightsCommand.Import(null, NetworkFile, weights, Quiet()));
        var section = new ConfigSection(new Dictionary<string, object?>
        {
            ["backbone"] = "resnet18", ["weights"] = weights, ["blocks"] = new List<object?> { "2", "2", "2", "3" },
            ["pooling"] = "avg", ["strict"] = "true",
        }, "test.yaml", "model");
        LoadReport? report = null;
        var model = ModelFactory.Create(section, inputChannels: 3, weightsLoaded: r => report = r);
        Assert.NotNull(report);
        Assert.Equal(110 + 22, report.Loaded.Count); // the ONNX initializers and 22 BatchNorm counters
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        model.eval();
        return model;
    }

    /// <summary>RGB pixels in [0, 255], planar (3, 224, 224): what the package's preprocessing graph takes.</summary>
    private static float[] RandomImage(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 3 * Side * Side).Select(_ => (float)random.Next(256)).ToArray();
    }

    /// <summary>A drawn scene (gradient sky, sun, house, text) decoded back to planar RGB in [0, 255].</summary>
    private static float[] DrawnImage(int variant)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            using var sky = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, Side),
                    [variant == 0 ? new SKColor(70, 130, 220) : new SKColor(240, 150, 60), new SKColor(230, 240, 255)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, Side, Side, sky);
            using var paint = new SKPaint { IsAntialias = true, Color = new SKColor(250, 220, 40) };
            canvas.DrawCircle(variant == 0 ? 170 : 60, 50, 28, paint);
            paint.Color = new SKColor(60, 140, 60);
            canvas.DrawRect(0, 160, Side, 64, paint);
            paint.Color = new SKColor(160, 40, 30);
            canvas.DrawRect(50, 100, 90, 80, paint);
            paint.Color = new SKColor(90, 60, 40);
            using var roof = new SKPath();
            roof.MoveTo(40, 100);
            roof.LineTo(95, 60);
            roof.LineTo(150, 100);
            roof.Close();
            canvas.DrawPath(roof, paint);
            paint.Color = SKColors.Black;
            using var font = new SKFont(SKTypeface.Default, 22);
            canvas.DrawText(variant == 0 ? "XBM.NET" : "ONNX", 20, 215, font, paint);
        }
        var pixels = bitmap.Pixels;
        var planar = new float[3 * Side * Side];
        for (int i = 0; i < pixels.Length; i++)
        {
            planar[i] = pixels[i].Red;
            planar[Side * Side + i] = pixels[i].Green;
            planar[2 * Side * Side + i] = pixels[i].Blue;
        }
        return planar;
    }

    private static float[] RunOnnx(InferenceSession session, float[] input)
    {
        string name = session.InputMetadata.Keys.Single();
        var data = new DenseTensor(input, [1, 3, Side, Side]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, data)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    /// <summary>The documented mapping: BGR order, minus the package's 224×224 mean image (channels B, G, R).</summary>
    private static Tensor Preprocess(float[] rgb, Tensor meanImage)
    {
        using var image = tensor(rgb, [1, 3, Side, Side]);
        using var bgr = image.flip(1);
        return bgr.sub(meanImage);
    }

    /// <summary>The per-channel approximation of the mean image (data.mean in the config).</summary>
    private static Tensor PreprocessPerChannel(float[] rgb)
    {
        using var image = tensor(rgb, [1, 3, Side, Side]);
        using var bgr = image.flip(1);
        using var mean = tensor(DnnImageFeaturizerPackage.MeanBgr.Select(m => (float)m).ToArray(), [1, 3, 1, 1]);
        return bgr.sub(mean);
    }

    private static (double MaxAbs, double Relative) Compare(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i] - actual[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return (maxAbs, maxAbs / scale);
    }

    [Fact]
    public void ImportedModelGivesTheFeaturesOfOnnxRuntime()
    {
        using var model = ImportedModel();
        var preprocess = OnnxModel.Load(PreprocessFile);
        Assert.True(preprocess.Initializers.TryGetValue("MeanImage", out var meanValues), $"{PreprocessFile}: no MeanImage initializer");
        using var meanImage = tensor(meanValues!.Values, meanValues.Shape);
        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var prepSession = new InferenceSession(PreprocessFile, options);
        using var netSession = new InferenceSession(NetworkFile, options);

        var inputs = new (string Name, float[] Rgb)[]
        {
            ("random 0", RandomImage(0)), ("random 1", RandomImage(1)), ("drawn 0", DrawnImage(0)), ("drawn 1", DrawnImage(1)),
        };
        double worstAbs = 0, worstRelative = 0;
        foreach (var (name, rgb) in inputs)
        {
            float[] expected = RunOnnx(netSession, RunOnnx(prepSession, rgb));
            Assert.Equal(512, expected.Length);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = Preprocess(rgb, meanImage);
            float[] actual = model.Backbone.forward(x).data<float>().ToArray();
            var (maxAbs, relative) = Compare(expected, actual);
            var approx = model.Backbone.forward(PreprocessPerChannel(rgb)).data<float>().ToArray();
            var (approxAbs, approxRelative) = Compare(expected, approx);
            output.WriteLine($"{name}: max |ORT| {expected.Max(Math.Abs):G4}, max abs diff {maxAbs:E2}, relative {relative:E2}; per-channel mean instead of the mean image: max abs diff {approxAbs:E2}, relative {approxRelative:E2}");
            Assert.True(relative <= 1e-4, $"{name}: features differ from ONNX Runtime by {maxAbs:E3} (relative {relative:E3})");
            Assert.True(expected.Max(Math.Abs) > 0.1, $"{name}: ONNX Runtime features are all near zero");
            worstAbs = Math.Max(worstAbs, maxAbs);
            worstRelative = Math.Max(worstRelative, relative);
        }
        output.WriteLine($"worst: max abs diff {worstAbs:E2}, relative {worstRelative:E2}");
    }

    [Fact]
    public void TheImportFindsCntkResNet18WithAThirdBlockInLayer4()
    {
        var imported = OnnxResNetImporter.Import(NetworkFile);
        Assert.Equal([2, 2, 2, 3], imported.Blocks);
        Assert.True(imported.CustomBlocks);
        Assert.Equal("Pooling395_Output_0", imported.FeatureOutput);
        Assert.Equal("Parameter91", imported.Tensors["conv1.weight"].Name);
        Assert.Equal([512, 512, 3, 3], imported.Tensors["layer4.2.conv2.weight"].Shape);
        // The stem, the max pool and the three stride-2 3×3 convolutions pad CNTK's way.
        Assert.Equal(5, imported.AsymmetricPadding.Count);
        Assert.Contains(imported.AsymmetricPadding, p => p.Contains("Convolution249") && p.Contains("[3, 3, 2, 2] at 224×224"));

        // A standard resnet18 refuses the file strictly, naming the extra block's keys.
        string weights = Path.Combine(dir, "w.safetensors");
        imported.Save(weights);
        using var standard = new ResNet(18);
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(standard, weights));
        Assert.Contains("unexpected in the file (not in the model): layer4.2.conv1.weight", e.Message);
    }

    [Theory]
    [InlineData(7, 3, 2, 224, true)]
    [InlineData(3, 1, 0, 112, true)]
    [InlineData(3, 1, 0, 25, false)]
    public void CntkPaddingEqualsTorchvisionPaddingOnEvenSizesOnly(long kernel, long before, long after, long size, bool equal)
    {
        // Why the importer accepts CNTK's pads: a stride-2 window on an even input never reaches the last padded row.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator(7);
        var x = randn([1, 4, size, size], generator: generator);
        var w = randn([5, 4, kernel, kernel], generator: generator);
        var symmetric = nn.functional.conv2d(x, w, strides: [2, 2], padding: [kernel / 2, kernel / 2]);
        var padded = nn.functional.pad(x, [before, after, before, after]);
        var asymmetric = nn.functional.conv2d(padded, w, strides: [2, 2]);
        bool same = symmetric.shape.SequenceEqual(asymmetric.shape) && symmetric.Same(asymmetric);
        Assert.Equal(equal, same);
    }

    [Fact]
    public void ThePerChannelMeanIsTheMeanOfTheMeanImage()
    {
        var mean = OnnxModel.Load(PreprocessFile).Initializers["MeanImage"];
        Assert.Equal([1, 3, Side, Side], mean.Shape);
        for (int c = 0; c < 3; c++)
        {
            double average = mean.Values.Skip(c * Side * Side).Take(Side * Side).Average(v => (double)v);
            Assert.Equal(DnnImageFeaturizerPackage.MeanBgr[c], average, 0.01);
        }
    }

    [Fact]
    public void TheExampleConfigFineTunesTheImportedWeights()
    {
        string weights = Path.Combine(dir, "resnet18_imagenet.safetensors");
        Assert.Equal(0, WeightsCommand.Import(null, NetworkFile, weights, Quiet()));
        string root = Path.Combine(dir, "images");
        PngFolders.Write(root, ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "owl", "yak"], 4, side: 40);
        string example = Path.Combine(PaperConfigTestsAccess.RepositoryRoot(), "configs", "examples", "resnet18_imagenet.yaml");
        var config = ConfigLoader.Load(example, [$"data.root={root}", $"model.weights={weights}", "iterations=2", "memory.start_iteration=1",
            "threads=1", "data.workers=1", "data.image_size=32", "data.resize=36", "sampler.classes_per_batch=4"]);
        using var training = TrainingRun.Create(config, Path.Combine(dir, "run"));
        var backbone = Assert.IsType<ResNet>(training.Model.Backbone);
        Assert.Equal([2, 2, 2, 3], backbone.Blocks);
        using (var loaded = SafeTensorsValue(weights, "layer4.2.conv2.weight"))
            Assert.True(backbone.state_dict()["layer4.2.conv2.weight"].Same(loaded), "the imported weights are loaded");
        var result = training.Trainer.Run();
        Assert.Equal(2, result.Iterations);
        Assert.InRange(result.FinalMetrics["test"]["Recall@1"], 0, 1);
    }

    private static Tensor SafeTensorsValue(string path, string name)
    {
        var (tensors, _) = Xbm.IO.SafeTensors.Load(path);
        foreach (var (key, t) in tensors.Where(p => p.Key != name))
            t.Dispose();
        return tensors[name];
    }

    [Fact]
    public void AGraphThatIsNotAResNetIsAnErrorNamingTheFileAndNode()
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxResNetImporter.Import(PreprocessFile));
        Assert.Contains(PreprocessFile, e.Message);
        Assert.Contains("Split node", e.Message);
        Assert.Contains("stem convolution", e.Message);
    }

    [Fact]
    public void PadsThatAreNeitherTorchvisionsNorCntksAreAnErrorNamingTheNode()
    {
        // The stem's pads [3, 3, 2, 2] (unpacked int64s: field 8, varint) become [3, 3, 1, 1].
        byte[] bytes = File.ReadAllBytes(NetworkFile);
        byte[] stem = [.. "pads"u8, 0x40, 3, 0x40, 3, 0x40, 2, 0x40, 2];
        int at = bytes.AsSpan().IndexOf(stem);
        Assert.True(at > 0, "the stem's pads attribute");
        bytes[at + 9] = 1;
        bytes[at + 11] = 1;
        string patched = Path.Combine(dir, "patched.onnx");
        File.WriteAllBytes(patched, bytes);
        var e = Assert.Throws<InvalidDataException>(() => OnnxResNetImporter.Import(patched));
        Assert.Contains($"{patched}: does not look like a ResNet-18/34 (producer CNTK): Conv node 'Convolution249' (conv1): pads [3, 3, 1, 1] are neither torchvision's [3, 3, 3, 3] nor CNTK's 'same' [3, 3, 2, 2]", e.Message);
    }

    [Fact]
    public void ATruncatedFileIsAnErrorNamingTheFile()
    {
        string truncated = Path.Combine(dir, "truncated.onnx");
        using (var source = File.OpenRead(NetworkFile))
        {
            var head = new byte[4096];
            source.ReadExactly(head);
            File.WriteAllBytes(truncated, head);
        }
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(truncated));
        Assert.StartsWith($"{truncated}: is not a valid ONNX model", e.Message);
    }
}
