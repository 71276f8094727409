using Spectre.Console;
using Xbm.Cli;
using Xbm.Cli.Commands;
using Xbm.IO;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

public sealed class WeightsCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("xbm-inspect-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (IAnsiConsole Console, StringWriter Text) Recorder()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return (console, text);
    }

    [Fact]
    public void InspectListsTensorsCountsAndMetadata()
    {
        using var scope = NewDisposeScope();
        string file = Path.Combine(dir, "w.safetensors");
        SafeTensors.Save(file, new Dictionary<string, Tensor>
        {
            ["conv.weight"] = zeros(8, 3, 3, 3, dtype: ScalarType.Float16),
            ["bn.running_mean"] = zeros(8),
            ["bn.num_batches_tracked"] = zeros([], ScalarType.Int64),
        }, new Dictionary<string, string> { ["source"] = "torchvision" });
        var (console, text) = Recorder();

        int code = WeightsCommand.Inspect(file, null, console);

        string output = text.ToString();
        Assert.Equal(0, code);
        Assert.Matches(@"conv\.weight\s+F16\s+\[8, 3, 3, 3\]\s+216", output);
        Assert.Matches(@"bn\.num_batches_tracked\s+I64\s+\[\]\s+1", output);
        Assert.Contains("3 tensors, 225 elements (216 without BatchNorm running statistics and counters)", output);
        Assert.Matches(@"source\s+torchvision", output);
    }

    [Fact]
    public void InspectWithModelUsesTheBlocksRecordedByImport()
    {
        using var scope = NewDisposeScope();
        using var backbone = new ResNet(18, new BackboneOptions { Blocks = [2, 2, 2, 3] });
        string file = Path.Combine(dir, "cntk.safetensors");
        WeightLoader.Save(backbone, file, new Dictionary<string, string> { ["blocks"] = "[2, 2, 2, 3]" });
        var (console, text) = Recorder();
        Assert.Equal(0, WeightsCommand.Inspect(file, "resnet18", console));
        Assert.Contains("the file's metadata gives blocks per stage [2, 2, 2, 3]", text.ToString());
        Assert.Contains("loads into resnet18 (strict)", text.ToString());

        // Without the metadata the extra block is unexpected in a standard resnet18.
        WeightLoader.Save(backbone, file);
        (console, text) = Recorder();
        Assert.Equal(1, WeightsCommand.Inspect(file, "resnet18", console));
        Assert.Contains("unexpected layer4.2.conv1.weight", text.ToString());
    }

    [Fact]
    public void InspectWithModelPrintsTheLoadReport()
    {
        using var scope = NewDisposeScope();
        using var backbone = new ResNet(18);
        var state = backbone.state_dict().ToDictionary(p => p.Key, p => p.Value);
        state["fc.weight"] = zeros(1000, 512);
        state["fc.bias"] = zeros(1000);
        state.Remove("layer4.1.bn2.running_var");
        state["conv1.weight"] = zeros(64, 3, 3, 3);
        string file = Path.Combine(dir, "r18.safetensors");
        SafeTensors.Save(file, state);
        var (console, text) = Recorder();

        int code = WeightsCommand.Inspect(file, "resnet18", console);

        string output = text.ToString();
        Assert.Equal(1, code);
        Assert.Contains("load report against resnet18 (120 model keys): 118 loaded, 1 missing, 0 unexpected, 2 ignored, 1 mismatched", output);
        Assert.Contains("missing layer4.1.bn2.running_var", output);
        Assert.Contains("ignored fc.bias", output);
        Assert.Contains("mismatched conv1.weight: the file has F32 [64, 3, 3, 3], the model expects F32 [64, 3, 7, 7]", output);
        Assert.Contains("does not load strictly into resnet18", output);
    }

    [Fact]
    public void CommandLineParsesAndRejectsUnknownModels()
    {
        using var scope = NewDisposeScope();
        using var backbone = new SmallCnn(1, 4);
        string file = Path.Combine(dir, "small.safetensors");
        WeightLoader.Save(backbone, file);

        var parse = CliApp.BuildRoot().Parse(["weights", "inspect", file, "--model", "small_cnn"]);
        Assert.Empty(parse.Errors);
        Assert.NotEmpty(CliApp.BuildRoot().Parse(["weights", "inspect", file, "--model", "vgg"]).Errors);
        string missing = Path.Combine(dir, "missing.safetensors");
        var e = Assert.ThrowsAny<IOException>(() => WeightsCommand.Inspect(missing, null, Recorder().Console));
        Assert.Contains(missing, CliApp.UserError(e)); // reported as a user error, not a crash
    }
}
