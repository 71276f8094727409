using System.Runtime.InteropServices;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Runtime;

public class NativeLoadTests
{
    private static string? OutputLibrary()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    private static string? PackageCacheLibrary()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                      ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    [Fact]
    public void TorchSharpLoadsAndRunsABackwardPass()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3 }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        Assert.Equal(new float[] { 2, 4, 6 }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void BuildMarkedTheGlibcxxRequirementWeakInTheOutputOnlyWhereNeeded()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return; // The patch is Linux-only; elsewhere there is nothing to check.
        string output = OutputLibrary() ?? throw new Xunit.Sdk.XunitException("libLibTorchSharp.so is missing from the test output");
        VersionNeed need = Assert.Single(ElfVersionNeeds.Read(output), n => n.Name == ElfVersionNeeds.TorchSharpGlibcxxVersion);
        bool systemHasIt = ElfVersionNeeds.SystemLibStdCxxProvides(ElfVersionNeeds.TorchSharpGlibcxxVersion);
        Assert.Equal(!systemHasIt, need.IsWeak);

        // The package cache keeps the original: only the output copies are patched.
        string? cached = PackageCacheLibrary();
        if (cached != null)
            Assert.False(ElfVersionNeeds.Read(cached).Single(n => n.Name == ElfVersionNeeds.TorchSharpGlibcxxVersion).IsWeak);
    }

    [Fact]
    public void BuildOutputHoldsOnlyTheHostsNativeRuntimes()
    {
        // build/HostRuntimeAssets.targets drops other platforms' native libraries (about 1 GB per output folder).
        string runtimes = Path.Combine(AppContext.BaseDirectory, "runtimes");
        Assert.True(Directory.Exists(runtimes), $"{runtimes} is missing");
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string host = RuntimeInformation.RuntimeIdentifier;
        var allowed = new HashSet<string> { host, os, "unix", "any" };
        var foreign = Directory.GetDirectories(runtimes)
            .Where(d => Directory.Exists(Path.Combine(d, "native")) && !allowed.Contains(Path.GetFileName(d)))
            .Select(Path.GetFileName).ToList();
        Assert.True(foreign.Count == 0, $"native libraries for other platforms in the output: {string.Join(", ", foreign)}");
        Assert.True(File.Exists(Path.Combine(runtimes, host, "native", OperatingSystem.IsWindows() ? "LibTorchSharp.dll"
            : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so")), $"TorchSharp's native library for {host} is missing");
    }

    [Fact]
    public void MarkWeakChangesOnlyThatEntryAndIsIdempotent()
    {
        string source = PackageCacheLibrary() ?? OutputLibrary() ?? "";
        if (source == "")
            return; // No Linux TorchSharp binary on this machine.
        string copy = Path.Combine(Path.GetTempPath(), $"xbm-elf-{Guid.NewGuid():N}.so");
        File.Copy(source, copy);
        try
        {
            var before = ElfVersionNeeds.Read(copy);
            byte[] bytesBefore = File.ReadAllBytes(copy);
            bool wasWeak = before.Single(n => n.Name == ElfVersionNeeds.TorchSharpGlibcxxVersion).IsWeak;

            Assert.Equal(!wasWeak, ElfVersionNeeds.MarkWeak(copy, ElfVersionNeeds.TorchSharpGlibcxxVersion));
            Assert.False(ElfVersionNeeds.MarkWeak(copy, ElfVersionNeeds.TorchSharpGlibcxxVersion));

            var after = ElfVersionNeeds.Read(copy);
            Assert.Equal(before.Count, after.Count);
            for (int i = 0; i < before.Count; i++)
            {
                bool target = before[i].Name == ElfVersionNeeds.TorchSharpGlibcxxVersion;
                Assert.Equal(target ? (ushort)(before[i].Flags | ElfVersionNeeds.VerFlagWeak) : before[i].Flags, after[i].Flags);
            }
            byte[] bytesAfter = File.ReadAllBytes(copy);
            Assert.Equal(bytesBefore.Length, bytesAfter.Length);
            Assert.True(bytesBefore.Zip(bytesAfter).Count(p => p.First != p.Second) <= 1);
        }
        finally
        {
            File.Delete(copy);
        }
    }
}
