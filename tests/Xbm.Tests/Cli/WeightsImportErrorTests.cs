namespace Xbm.Tests.Cli;

/// <summary>`xbm weights import` on bad arguments and files that are not ONNX ResNets: one-line errors naming the file.</summary>
[Collection(CliCollection.Name)]
public sealed class WeightsImportErrorTests(TinyRuns runs)
{
    [Fact]
    public void NeitherOrBothSourcesAreAnError()
    {
        string output = Path.Combine(runs.Scratch("import-sources"), "out.safetensors");
        Assert.Contains("error: give either the model name resnet18-imagenet or --onnx FILE (exactly one)",
            CliRunner.FailsWithUserError("weights", "import", "--out", output));
        Assert.Contains("error: give either the model name resnet18-imagenet or --onnx FILE (exactly one)",
            CliRunner.FailsWithUserError("weights", "import", "resnet18-imagenet", "--onnx", "x.onnx", "--out", output));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AMissingOnnxFileIsNamed()
    {
        string folder = runs.Scratch("import-missing");
        string path = Path.Combine(folder, "model.onnx");
        Assert.Contains($"error: {path}: does not exist (expected an ONNX model (.onnx))",
            CliRunner.FailsWithUserError("weights", "import", "--onnx", path, "--out", Path.Combine(folder, "out.safetensors")));
    }

    [Fact]
    public void RandomBytesAreNotAnOnnxModel()
    {
        string folder = runs.Scratch("import-random");
        string path = Path.Combine(folder, "random.onnx");
        var bytes = new byte[1000];
        new Random(5).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        string output = CliRunner.FailsWithUserError("weights", "import", "--onnx", path, "--out", Path.Combine(folder, "out.safetensors"));
        Assert.Contains($"error: {path}: is not a valid ONNX model: ModelProto ", output);
        Assert.False(File.Exists(Path.Combine(folder, "out.safetensors")));
    }
}
