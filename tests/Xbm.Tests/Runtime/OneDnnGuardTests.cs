using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Runtime;

/// <summary>
/// oneDNN divides by the cache sizes that CPUID reports; on a processor that reports none (an AMD EPYC virtual machine
/// of this project's CI) a ResNet-50 forward died with SIGFPE in oneDNN's 1×1 convolution blocking, killing the test
/// host. The guard switches oneDNN off there, and the tool says so.
/// </summary>
public sealed class OneDnnGuardTests
{
    [Fact]
    public void OneDnnIsOffExactlyWhereTheProcessorHidesItsCacheSizes()
    {
        OneDnnGuard.Apply();
        if (Environment.GetEnvironmentVariable(OneDnnGuard.Variable) is { Length: > 0 } forced)
            Assert.Equal(forced == "on", OneDnnGuard.Enabled);
        else
            Assert.Equal(OneDnnGuard.CacheSizesReported(), OneDnnGuard.Enabled);
    }

    [Fact]
    public void AResNet50TrainingStepRunsItsOneByOneConvolutions()
    {
        // The step that died with SIGFPE (brg_blocking_t::est_eff_1x1) where oneDNN saw no cache sizes.
        using var scope = NewDisposeScope();
        using var backbone = new ResNet(50, new BackboneOptions());
        backbone.train();
        var input = randn(2, 3, 64, 64, generator: new Generator(3));
        var features = backbone.forward(input);
        features.sum().backward();
        Assert.Equal(new long[] { 2, 2048 }, features.shape);
        Assert.All(backbone.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
    }

    [Theory]
    [InlineData("off", 0, "note: oneDNN off (XBM_ONEDNN=off), glibc heap retention on")]
    [InlineData("on", 0, "note: oneDNN on (XBM_ONEDNN=on)")]
    [InlineData("maybe", 2, "error: XBM_ONEDNN: 'maybe' is not on or off")]
    public async Task TheToolSaysWhatItDoesWithOneDnn(string value, int exitCode, string message)
    {
        var info = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Xbm.Cli.dll"));
        info.ArgumentList.Add("datasets");
        info.ArgumentList.Add("list");
        info.Environment[OneDnnGuard.Variable] = value;
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(exitCode, process.ExitCode);
        Assert.Contains(message, await stderr + await stdout);
    }
}
