using TorchSharp;
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
    public void OneDnnIsOffExactlyWhereTheProcessorHidesItsCacheSizesAndTheyCannotBeGiven()
    {
        string applied = OneDnnGuard.Apply();
        if (Environment.GetEnvironmentVariable(OneDnnGuard.Variable) is { Length: > 0 } forced)
            Assert.Equal(forced == "on", OneDnnGuard.Enabled);
        else
            Assert.Equal(OneDnnGuard.CacheSizesReported() || OneDnnGuard.CacheSizesGiven, OneDnnGuard.Enabled);
        Assert.Equal(OneDnnGuard.CacheSizesGiven, applied.Contains("cache sizes given to oneDNN"));
    }

    /// <summary>
    /// On this project's AMD guest (no CPUID leaf 0x8000001D) libtorch 2.10's oneDNN is the build whose processor
    /// description <see cref="OneDnnCacheSizes"/> knows: the sizes must be given, so that a change of libtorch that
    /// silently turns oneDNN off again fails here instead.
    /// </summary>
    [Fact]
    public void TheCacheSizesAreGivenWhereTheProcessorHidesThem()
    {
        OneDnnGuard.Apply();
        if (OneDnnGuard.CacheSizesReported() || !ProcessorVendor.IsAmd() || Environment.GetEnvironmentVariable(OneDnnGuard.Variable) is { Length: > 0 })
            return; // nothing to give
        Assert.True(OneDnnGuard.CacheSizesGiven, OneDnnGuard.Apply());
        Assert.True(OneDnnCacheSizes.TryApply(out string again), again); // the second time oneDNN reads them itself
        Assert.Contains("oneDNN reads the cache sizes itself", again);
    }

    /// <summary>
    /// oneDNN's convolutions (float32, on where the sizes were given) against libtorch's own in float64, forward and
    /// every gradient, in both layouts, on the shapes that failed without the sizes: the strided 1×1 backward that
    /// died with SIGFPE, the odd 3×3 whose input gradient was 7 % off, the 7×7 stem and a depthwise convolution.
    /// </summary>
    [Theory]
    [InlineData(64, 128, 1, 2, 1, 28, false)]
    [InlineData(64, 128, 1, 2, 1, 28, true)]
    [InlineData(3, 17, 3, 1, 1, 13, false)]
    [InlineData(3, 17, 3, 1, 1, 13, true)]
    [InlineData(3, 64, 7, 2, 1, 56, true)]
    [InlineData(32, 32, 3, 1, 32, 14, false)]
    [InlineData(256, 64, 1, 1, 1, 14, true)]
    public void ConvolutionsAgreeWithFloat64(int inChannels, int outChannels, int kernel, int stride, int groups, int size, bool channelsLast)
    {
        OneDnnGuard.Apply();
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var input = randn(4, inChannels, size, size, generator: generator);
        using var fanIn = Math.Sqrt(inChannels * kernel * kernel / groups).ToScalar();
        var weight = randn(outChannels, inChannels / groups, kernel, kernel, generator: generator).div_(fanIn);
        var bias = randn(outChannels, generator: generator);
        var upstream = randn(4, outChannels, (size + 2 * (kernel / 2) - kernel) / stride + 1, (size + 2 * (kernel / 2) - kernel) / stride + 1, generator: generator);
        (Tensor Output, Tensor Input, Tensor Weight, Tensor Bias) Run(ScalarType dtype)
        {
            var x = input.to(dtype);
            var w = weight.to(dtype);
            if (channelsLast && dtype == ScalarType.Float32)
            {
                x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2); // NCHW shape, channels-last strides
                w = w.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            }
            x = x.detach().requires_grad_(true);
            w = w.detach().requires_grad_(true);
            var b = bias.to(dtype).detach().requires_grad_(true);
            var y = nn.functional.conv2d(x, w, b, strides: [stride, stride], padding: [kernel / 2, kernel / 2], groups: groups);
            y.mul(upstream.to(dtype)).sum().backward();
            Assert.Equal(channelsLast && dtype == ScalarType.Float32, ChannelsLast.Is(x));
            return (y.detach(), x.grad!, w.grad!, b.grad!);
        }
        var single = Run(ScalarType.Float32);
        var reference = Run(ScalarType.Float64);
        foreach (var (name, actual, expected) in new[] { ("output", single.Output, reference.Output), ("input gradient", single.Input, reference.Input),
                     ("weight gradient", single.Weight, reference.Weight), ("bias gradient", single.Bias, reference.Bias) })
        {
            double error = actual.to(float64).sub(expected).abs().max().item<double>() / expected.abs().max().item<double>();
            Assert.True(error < 1e-5, $"{name}: relative error {error:E2} (oneDNN {(OneDnnGuard.Enabled ? "on" : "off")})");
        }
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
