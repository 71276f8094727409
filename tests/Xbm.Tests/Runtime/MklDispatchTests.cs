using System.Diagnostics;
using System.Runtime.InteropServices;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Runtime;

/// <summary>The MKL dispatch shim (native/xbm_mkl_dispatch.c, build/MklDispatchShim.targets, Runtime/MklDispatch).</summary>
public sealed class MklDispatchTests
{
    private static bool CompilerPresent()
    {
        using var process = Process.Start(new ProcessStartInfo("sh", "-c \"command -v cc\"") { RedirectStandardOutput = true })!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    [Fact]
    public void TheBuildPutsTheShimNextToLibtorchWhenACompilerIsPresent()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
            return; // the shim is for Linux x64 builds of libtorch (which link MKL)
        string shim = Path.Combine(AppContext.BaseDirectory, MklDispatch.FileName);
        if (CompilerPresent())
            Assert.True(File.Exists(shim), $"{shim} was not built although cc is present");
        else
            Assert.Contains("no C compiler", MklDispatch.Apply());
    }

    [Fact]
    public void OnAmdProcessorsLibtorchsMklAsksTheShim()
    {
        string description = MklDispatch.Apply();
        bool applies = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64
            && ProcessorVendor.IsAmd() && Environment.GetEnvironmentVariable(MklDispatch.Variable) != "off"
            && File.Exists(Path.Combine(AppContext.BaseDirectory, MklDispatch.FileName));
        Assert.Equal(applies, MklDispatch.Loaded);
        if (!applies)
        {
            Assert.Equal(0, MklDispatch.Calls);
            return;
        }
        Assert.Contains("by instruction set", description);
        // A product large enough for MKL's sgemm (libtorch keeps tiny ones to itself): MKL has asked by then.
        using var a = ones(256, 256);
        using var product = a.matmul(a);
        Assert.Equal(256f, product[0, 0].item<float>());
        Assert.True(MklDispatch.Calls > 0, "libtorch's MKL never asked the shim: a definition loaded earlier took its place");
    }
}
