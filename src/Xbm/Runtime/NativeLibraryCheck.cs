using static TorchSharp.torch;

namespace Xbm.Runtime;

/// <summary>
/// Checks that TorchSharp's native libraries load, and when they do not, explains why in terms a user can
/// act on (notably the GLIBCXX_3.4.32 requirement of TorchSharp-cpu 0.107.0 on Debian 12).
/// </summary>
public static class NativeLibraryCheck
{
    /// <summary>Runs a tiny tensor operation; throws <see cref="InvalidOperationException"/> with a diagnosis on failure.</summary>
    public static void EnsureTorchLoads()
    {
        try
        {
            using var probe = ones(2);
            _ = probe.sum().item<float>();
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
        {
            throw new InvalidOperationException(Diagnose(e), e);
        }
    }

    /// <summary>Explains a load failure: where the native library is and whether its libstdc++ requirement is met.</summary>
    public static string Diagnose(Exception error)
    {
        string root = (error.InnerException ?? error).Message;
        string library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux())
            return $"TorchSharp's native libraries failed to load: {root}";
        if (!File.Exists(library))
            return $"TorchSharp's native libraries failed to load ({root}); {library} is missing: build with `dotnet build` so the TorchSharp-cpu runtime is copied to the output.";
        string version = ElfVersionNeeds.TorchSharpGlibcxxVersion;
        bool systemHasIt = ElfVersionNeeds.SystemLibStdCxxProvides(version);
        var need = ElfVersionNeeds.Read(library).FirstOrDefault(n => n.Name == version);
        if (!systemHasIt && need is { IsWeak: false })
            return $"TorchSharp's native library failed to load: {library} needs {version}, which this system's libstdc++ lacks. " +
                   "The build marks that requirement weak in its output copies (build/TorchSharpNativeFix.targets); rebuild with `dotnet build` " +
                   "(a copy made by other means, e.g. publish without the targets, is not patched). Details: " + root;
        return $"TorchSharp's native libraries failed to load: {root} (libLibTorchSharp.so at {library}; {version}: system {(systemHasIt ? "has it" : "lacks it")}, requirement {(need?.IsWeak == true ? "weak" : "strict")})";
    }
}
