using Xbm.Tests.Cli;

namespace Xbm.Tests.Serve;

/// <summary>`xbm serve` refuses bad options with one line naming the option, before binding a port.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeCommandTests(ServeFixture serve)
{
    [Fact]
    public void BadOptionsAreUserErrorsNamingTheOption()
    {
        Assert.Contains("give the model with --checkpoint RUN or --onnx MODEL.onnx", CliRunner.FailsWithUserError("serve", "--index", serve.OnnxIndex));
        Assert.Contains("give the model", CliRunner.FailsWithUserError("serve", "--checkpoint", serve.Run, "--onnx", serve.OnnxModel, "--index", serve.OnnxIndex));
        Assert.Contains("--index", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel));
        Assert.Contains("--port must be from 0 to 65535, got 70000", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel, "--index", serve.OnnxIndex, "--port", "70000"));
        Assert.Contains("--max-upload-mb must be above 0", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel, "--index", serve.OnnxIndex, "--max-upload-mb", "0"));
        Assert.Contains("--max-megapixels must be above 0", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel, "--index", serve.OnnxIndex, "--max-megapixels", "-3"));
        Assert.Contains("--host example.org: expected an IP address", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel, "--index", serve.OnnxIndex, "--host", "example.org"));
        Assert.Contains("--device applies to a run", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel, "--index", serve.OnnxIndex, "--device", "cpu"));
        Assert.Contains("no such folder", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel, "--index", Path.Combine(serve.Folder, "missing")));
        Assert.Contains("the index was embedded with", CliRunner.FailsWithUserError("serve", "--onnx", serve.OnnxModel, "--index", serve.TorchIndex, "--port", "0"));
    }
}
