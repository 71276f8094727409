using System.Diagnostics;
using System.Text.Json;

namespace Xbm.Tests.Runtime;

/// <summary>
/// The TorchBackend build property (build/TorchBackend.props) picks the libtorch package of the library. Evaluated
/// with <c>dotnet msbuild -getItem</c>, which reads the project without restoring, so the CUDA packages (not served
/// here) are never fetched.
/// </summary>
public sealed class TorchBackendTests
{
    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Xbm.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Xbm.slnx) not found");
    }

    private static (int Code, string Output) MsBuild(params string[] arguments)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Root(),
        };
        foreach (string a in (string[])["msbuild", Path.Combine("src", "Xbm", "Xbm.csproj"), "-nologo", .. arguments])
            info.ArgumentList.Add(a);
        // The test host's MSBuild variables would point a child build at this test run's SDK state.
        foreach (string name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(name);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet msbuild did not finish in 120 s");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }

    private static List<string> TorchPackages(params string[] properties)
    {
        var (code, output) = MsBuild(["-getItem:PackageReference", .. properties.Select(p => $"-p:{p}")]);
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        return json.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(e => e.GetProperty("Identity").GetString()!)
            .Where(id => id.StartsWith("TorchSharp-", StringComparison.Ordinal))
            .ToList();
    }

    [Fact]
    public void TheDefaultIsTorchSharpCpu() => Assert.Equal(["TorchSharp-cpu"], TorchPackages());

    [Fact]
    public void CudaSelectsTheCudaPackageOfTheTargetPlatform()
    {
        Assert.Equal(["TorchSharp-cpu"], TorchPackages("TorchBackend=cpu"));
        Assert.Equal(["TorchSharp-cuda-linux"], TorchPackages("TorchBackend=cuda", "RuntimeIdentifier=linux-x64"));
        Assert.Equal(["TorchSharp-cuda-windows"], TorchPackages("TorchBackend=cuda", "RuntimeIdentifier=win-x64"));
        string host = OperatingSystem.IsWindows() ? "TorchSharp-cuda-windows" : "TorchSharp-cuda-linux";
        Assert.Equal([host], TorchPackages("TorchBackend=cuda"));
    }

    [Fact]
    public void AnUnknownBackendIsABuildErrorSayingWhatIsAccepted()
    {
        var (code, output) = MsBuild("-t:XbmCheckTorchBackend", "-p:TorchBackend=rocm");
        Assert.NotEqual(0, code);
        Assert.Contains("error XBM0001: TorchBackend 'rocm' is not a libtorch backend: use -p:TorchBackend=cpu (the default, TorchSharp-cpu) or -p:TorchBackend=cuda", output);
        Assert.Equal(0, MsBuild("-t:XbmCheckTorchBackend", "-p:TorchBackend=cuda").Code);
    }
}
