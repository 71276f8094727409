using System.Collections;
using TorchSharp.PyBridge;

namespace Xbm.IO.PyTorch;

/// <summary>
/// Reads torch.save's zip format (the default since PyTorch 1.6: data.pkl plus one file per storage under data/)
/// with TorchSharp.PyBridge's unpickler. Dictionaries come back as <see cref="Hashtable"/> (an OrderedDict keeps only
/// its tensors), tensors on the CPU; the caller owns them.
/// </summary>
internal static class ZipTorchFile
{
    /// <summary>True when the file starts with a zip local file header.</summary>
    public static bool Looks(ReadOnlySpan<byte> head) => head.Length >= 4 && head[0] == 0x50 && head[1] == 0x4b && head[2] == 0x03 && head[3] == 0x04;

    /// <summary>Reads the saved object. Errors name the file.</summary>
    public static object? Read(string path)
    {
        using var stream = InputFile.OpenRead(path, "a PyTorch checkpoint (.pth)");
        try
        {
            return PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PyBridge reports a damaged archive (InvalidDataException), a missing data.pkl or storage entry
            // (InvalidOperationException), a pickled nn.Module (NotImplementedException) and unexpected pickle
            // content (Razorvine's PickleException, InvalidCastException) without naming the file.
            string what = e is InvalidDataException or EndOfStreamException ? "damaged or truncated zip archive" : "cannot read the zip checkpoint";
            throw new InvalidDataException($"{path}: {what}: {e.Message}", e);
        }
    }
}
