namespace Xbm.IO;

/// <summary>Opens files the user named, with errors that name the file and say what is wrong in plain words.</summary>
public static class InputFile
{
    /// <summary>
    /// Opens <paramref name="path"/> for reading. A folder, a missing file or one that cannot be read is an error
    /// naming the file and <paramref name="expected"/> (e.g. "a .safetensors file").
    /// </summary>
    public static FileStream OpenRead(string path, string expected)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new InvalidDataException($"{path}: is a folder, expected {expected}");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: does not exist (expected {expected})", path);
        try
        {
            return File.OpenRead(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{path}: cannot be read (permission denied)", e);
        }
        catch (IOException e)
        {
            throw new IOException($"{path}: cannot be read: {e.Message}", e);
        }
    }
}
