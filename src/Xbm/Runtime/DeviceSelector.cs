using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Runtime;

/// <summary>Turns a device name from the command line or a config into a TorchSharp device.</summary>
public static class DeviceSelector
{
    /// <summary>
    /// Parses "cpu", "cuda", "cuda:N" or "auto" (CUDA when available, else CPU). Asking for CUDA where the
    /// installed TorchSharp build has no CUDA backend is an error that says so.
    /// </summary>
    public static Device Select(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "auto")
            return cuda.is_available() ? CUDA : CPU;
        if (n == "cpu")
            return CPU;
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"device '{name}': CUDA is not available (this build uses the TorchSharp-cpu backend; install a TorchSharp CUDA package on a machine with a GPU, or use --device cpu)");
            return new Device(n);
        }
        throw new ArgumentException($"device '{name}' is not one of: cpu, cuda, cuda:N, auto");
    }
}
