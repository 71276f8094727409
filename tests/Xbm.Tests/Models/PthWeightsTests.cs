using System.Collections;
using Spectre.Console;
using TorchSharp.PyBridge;
using Xbm.Cli.Commands;
using Xbm.Configuration;
using Xbm.IO;
using Xbm.IO.PyTorch;
using Xbm.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

/// <summary>
/// PyTorch .pth/.pt state dicts as model.weights, in both torch.save formats. The fixtures are written by Debian's
/// python3-torch 1.13 (tools/fixtures/make_pth_fixtures.py): the small_cnn backbone (3 channels, width 4).
/// </summary>
public sealed class PthWeightsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Pth");
    private static readonly string[] Files = ["small_cnn_zip.pth", "small_cnn_legacy.pth", "small_cnn_legacy_f64.pt", "small_cnn_wrapped.pth", "small_cnn_wrapped_legacy.pth"];
    private readonly string dir = Directory.CreateTempSubdirectory("xbm-pth-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(Fixtures, name);

    private static SmallCnn Model(long width = 4) => new(inputChannels: 3, width: width);

    [Theory]
    [InlineData("small_cnn_zip.pth", "zip", "the top level")]
    [InlineData("small_cnn_legacy.pth", "legacy", "the top level")]
    [InlineData("small_cnn_legacy_f64.pt", "legacy", "the top level")]
    [InlineData("small_cnn_wrapped.pth", "zip", "'state_dict', prefix 'module.' removed")]
    [InlineData("small_cnn_wrapped_legacy.pth", "legacy", "'model', prefix 'module.' removed")]
    public void EveryFormatGivesTheSameTensorsAsTheZipFile(string file, string format, string origin)
    {
        using var reference = PyTorchCheckpoint.Load(Fixture("small_cnn_zip.pth"));
        using var state = PyTorchCheckpoint.Load(Fixture(file));
        Assert.Equal(format, state.Format);
        Assert.Equal(origin, state.Origin);
        using var model = Model();
        Assert.Equal(model.state_dict().Keys.Order(StringComparer.Ordinal), state.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, expected) in reference.Tensors)
        {
            var actual = state.Tensors[key];
            if (actual.dtype == ScalarType.Float64)
            {
                using var narrowed = actual.to(ScalarType.Float32); // written as float64 from float32 values: exact
                Assert.True(narrowed.Same(expected), key);
            }
            else
            {
                Assert.True(actual.Same(expected), key);
            }
        }
        Assert.Equal(ScalarType.Int64, state.Tensors["features.bn3.num_batches_tracked"].dtype);
        Assert.Equal(7, state.Tensors["features.bn3.num_batches_tracked"].item<long>());
        Assert.Equal(new long[] { 16, 8, 3, 3 }, state.Tensors["features.conv5.weight"].shape);
    }

    [Theory]
    [InlineData("small_cnn_zip.pth")]
    [InlineData("small_cnn_legacy.pth")]
    [InlineData("small_cnn_legacy_f64.pt")]
    [InlineData("small_cnn_wrapped.pth")]
    [InlineData("small_cnn_wrapped_legacy.pth")]
    public void TheLoadedModelComputesWhatPyTorchComputed(string file)
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var report = WeightLoader.Load(model, Fixture(file));
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
        Assert.Empty(report.Missing);
        Assert.Equal(file.Contains("f64") ? 25 : 0, report.Converted.Count); // the float64 tensors (5 convolutions, 5 × 4 of BatchNorm), not the counters
        model.eval();
        using var noGrad = no_grad();
        var features = model.forward(Npy.Read(Fixture("input.npy")));
        var expected = Npy.Read(Fixture("features.npy"));
        double error = features.to(ScalarType.Float64).sub(expected).abs().max().item<double>();
        output.WriteLine($"{file}: max |TorchSharp − PyTorch| = {error:E2}");
        Assert.True(error < 1e-5, $"{file}: max |TorchSharp − PyTorch| = {error:E2}");
    }

    [Fact]
    public void ModelWeightsInAConfigTakesAPthFile()
    {
        using var scope = NewDisposeScope();
        LoadReport? report = null;
        using var model = ModelFactory.Create(new ConfigSection(new Dictionary<string, object?>
        {
            ["backbone"] = "small_cnn", ["width"] = 4L, ["weights"] = Fixture("small_cnn_legacy.pth"),
        }, "test.yaml", "model"), inputChannels: 3, weightsLoaded: r => report = r);
        Assert.NotNull(report);
        Assert.Equal(Fixture("small_cnn_legacy.pth"), report.Source);
        model.eval();
        using var noGrad = no_grad();
        var features = model.Backbone.forward(Npy.Read(Fixture("input.npy")));
        Assert.True(features.to(ScalarType.Float64).allclose(Npy.Read(Fixture("features.npy")), rtol: 0, atol: 1e-5));

        var e = Assert.Throws<ConfigException>(() => ModelFactory.Create(new ConfigSection(new Dictionary<string, object?>
        {
            ["backbone"] = "small_cnn", ["width"] = 8L, ["weights"] = Fixture("small_cnn_zip.pth"),
        }, "test.yaml", "model"), inputChannels: 3));
        Assert.Contains("model.weights", e.Message);
        Assert.Contains("small_cnn_zip.pth", e.Message);
        Assert.Contains("features.bn1.running_mean: the file has F32 [4], the model expects F32 [8]", e.Message);
    }

    [Theory]
    [InlineData("small_cnn_zip.pth", 0.5, "damaged or truncated zip archive")]
    [InlineData("small_cnn_legacy.pth", 0.5, "truncated")]
    [InlineData("small_cnn_legacy.pth", 0.995, "truncated")]
    [InlineData("small_cnn_legacy.pth", 0.01, "truncated")]
    public void ATruncatedFileIsAnErrorNamingIt(string file, double keep, string expected)
    {
        byte[] bytes = File.ReadAllBytes(Fixture(file));
        string cut = Path.Combine(dir, "cut.pth");
        File.WriteAllBytes(cut, bytes[..(int)(bytes.Length * keep)]);
        using var model = Model();
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, cut));
        Assert.StartsWith($"{cut}: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AFileThatIsNoCheckpointIsAnErrorNamingIt()
    {
        string text = Path.Combine(dir, "notes.pth");
        File.WriteAllText(text, "these are not weights");
        using var model = Model();
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, text));
        Assert.Equal($"{text}: not a PyTorch checkpoint: it is neither torch.save's zip format nor its legacy pickle format", e.Message);

        string empty = Path.Combine(dir, "empty.pt");
        File.WriteAllBytes(empty, []);
        e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, empty));
        Assert.StartsWith($"{empty}: not a PyTorch checkpoint", e.Message);

        string plain = Path.Combine(dir, "five.pkl.pth");
        File.WriteAllBytes(plain, [0x80, 0x02, (byte)'K', 5, (byte)'.']); // pickle.dumps(5, protocol=2)
        e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, plain));
        Assert.Equal($"{plain}: not a PyTorch checkpoint (a pickle, but without torch.save's magic number)", e.Message);

        // A legacy file whose object is a pickled nn.Module (torch.save(model)), hand-assembled: magic, protocol,
        // system info, then __main__.Net() and an empty storage list.
        string module = Path.Combine(dir, "module.pth");
        var pickle = new List<byte>();
        pickle.AddRange([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.']);
        pickle.AddRange([0x80, 0x02, (byte)'M', 0xe9, 0x03, (byte)'.']);
        pickle.AddRange([0x80, 0x02, (byte)'}', (byte)'X', 13, 0, 0, 0, .. "little_endian"u8.ToArray(), 0x88, (byte)'s', (byte)'.']);
        pickle.AddRange([0x80, 0x02, (byte)'c', .. "__main__\nNet\n"u8.ToArray(), (byte)')', (byte)'R', (byte)'.']);
        pickle.AddRange([0x80, 0x02, (byte)']', (byte)'.']);
        File.WriteAllBytes(module, pickle.ToArray());
        e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, module));
        Assert.Equal($"{module}: holds a pickled Python object (__main__.Net), not a state dict (a dictionary of tensors); save model.state_dict() with torch.save", e.Message);
    }

    [Fact]
    public void WrongShapesAndMissingKeysAreErrorsNamingTheFileAndTheKey()
    {
        using var wide = Model(width: 8);
        string zip = Fixture("small_cnn_zip.pth");
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(wide, zip));
        Assert.StartsWith($"{zip}: cannot load weights", e.Message);
        Assert.Contains("mismatched features.bn1.running_mean: the file has F32 [4], the model expects F32 [8]", e.Message);

        // A zip-format state dict without one key, written by PyBridge's pickler.
        string partial = Path.Combine(dir, "partial.pth");
        using (var state = PyTorchCheckpoint.Load(zip))
        {
            var table = new Hashtable();
            foreach (var (key, t) in state.Tensors.Where(p => p.Key != "features.conv5.weight"))
                table[key] = t;
            PyTorchPickler.PickleStateDict(partial, table);
        }
        using var model = Model();
        e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(model, partial));
        Assert.StartsWith($"{partial}: cannot load weights", e.Message);
        Assert.Contains("missing from the file: features.conv5.weight", e.Message);
        var report = WeightLoader.Load(model, partial, new WeightLoadOptions { Strict = false });
        Assert.Equal(["features.conv5.weight"], report.Missing);
    }

    [Fact]
    public void WeightsInspectListsAPthFile()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        string file = Fixture("small_cnn_wrapped_legacy.pth");

        Assert.Equal(1, WeightsCommand.Inspect(file, "resnet18", console));

        string output = text.ToString();
        Assert.Matches(@"features\.conv5\.weight\s+F32\s+\[16, 8, 3, 3\]\s+1,152", output);
        Assert.Matches(@"features\.bn1\.num_batches_tracked\s+I64\s+\[\]\s+1", output);
        Assert.Contains("30 tensors", output);
        Assert.Contains("PyTorch legacy format, state dict from 'model', prefix 'module.' removed", output);
        Assert.Contains("does not load strictly into resnet18", output);
    }
}
