namespace Xbm.IO;

/// <summary>
/// Checks, before any work starts, that an output file or folder can be written: a command that computes for
/// minutes and then cannot save its result wastes the user's time. The check creates nothing that stays: it
/// finds the nearest existing folder on the way and probes it with a temporary file, which is the only test
/// that also holds for root, read-only mounts and ACLs.
/// </summary>
public static class OutputTarget
{
    /// <summary>
    /// Fails unless the file <paramref name="path"/> can be written: it is not a folder, and its folder exists and
    /// is writable, or can be created. <paramref name="option"/> (e.g. "--out") starts the message.
    /// </summary>
    public static void EnsureFile(string path, string option)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new IOException($"{option} {full}: is a folder, expected a file");
        EnsureWritableFolder(Path.GetDirectoryName(full)!, full, option);
    }

    /// <summary>
    /// Fails unless files can be written into the folder <paramref name="path"/>: it is a writable folder or can be
    /// created. <paramref name="option"/> (e.g. "--out") starts the message.
    /// </summary>
    public static void EnsureFolder(string path, string option)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new IOException($"{option} {full}: is a file, expected a folder");
        EnsureWritableFolder(full, full, option);
    }

    private static void EnsureWritableFolder(string folder, string target, string option)
    {
        string existing = folder;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new IOException($"{option} {target}: cannot create the folder {folder}: {existing} is a file");
            existing = Path.GetDirectoryName(existing)
                ?? throw new IOException($"{option} {target}: cannot create the folder {folder}: its drive does not exist");
        }
        string probe = Path.Combine(existing, $".xbm-write-check.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string where = existing == folder ? $"the folder {folder} is not writable" : $"cannot create the folder {folder}: {existing} is not writable";
            string reason = e is UnauthorizedAccessException ? "permission denied" : e.Message.Replace(probe, existing, StringComparison.Ordinal);
            throw new IOException($"{option} {target}: {where} ({reason})", e);
        }
    }
}
