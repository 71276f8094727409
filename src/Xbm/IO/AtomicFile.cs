namespace Xbm.IO;

/// <summary>
/// Writes files and folders so that a reader sees either the old content or the new, never a half-written
/// one: write to a temporary sibling, flush to disk, then rename over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full))
            throw new IOException($"{full}: is a folder, expected a file to write");
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"{full}: cannot write: cannot create its folder {folder} ({e.Message})", e);
            }
            FileStream stream;
            try
            {
                stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CannotWrite(full, temporary, e);
            }
            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temporary, full, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CannotWrite(full, temporary, e);
            }
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// The error of a failed write, naming the target file, never the temporary one: the user did not ask for
    /// that name and cannot find it afterwards.
    /// </summary>
    private static IOException CannotWrite(string full, string temporary, Exception e)
    {
        string folder = Path.GetDirectoryName(full)!;
        string reason = e is UnauthorizedAccessException
            ? $"permission denied: the folder {folder} is not writable"
            : e.Message.Replace(temporary, full, StringComparison.Ordinal);
        return new IOException($"{full}: cannot write: {reason}", e);
    }

    /// <summary>Writes text atomically (UTF-8).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            using var writer = new StreamWriter(s, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>
    /// Fills a new folder through <paramref name="fill"/> and then moves it to <paramref name="folder"/> in one
    /// rename, replacing an older folder of that name only after the new one is complete.
    /// </summary>
    public static void WriteFolder(string folder, Action<string> fill)
    {
        string full = Path.GetFullPath(folder);
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string temporary = Path.Combine(parent, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temporary);
        try
        {
            fill(temporary);
            if (Directory.Exists(full))
            {
                // The replaced folder leaves under a hidden name first, so that no reader (nor a crash during the
                // deletion) ever sees a half-deleted folder under a checkpoint's name.
                string old = HiddenSibling(full, "old");
                Directory.Move(full, old);
                Directory.Move(temporary, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temporary, full);
            }
        }
        catch
        {
            if (Directory.Exists(temporary))
                Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Deletes <paramref name="folder"/> so that it is never seen half-deleted: it is renamed to a hidden sibling
    /// (one atomic step) and deleted from there. A crash can leave only that hidden folder, which
    /// <see cref="RemoveLeftovers"/> removes.
    /// </summary>
    public static void DeleteFolder(string folder)
    {
        string full = Path.GetFullPath(folder);
        string doomed = HiddenSibling(full, "deleting");
        Directory.Move(full, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    /// <summary>
    /// Removes what interrupted writes and deletions left in <paramref name="folder"/>: the hidden temporary files
    /// and folders of <see cref="Write"/>, <see cref="WriteFolder"/> and <see cref="DeleteFolder"/>. Call it only
    /// where no other process is writing.
    /// </summary>
    public static void RemoveLeftovers(string folder)
    {
        if (!Directory.Exists(folder))
            return;
        foreach (string path in Directory.EnumerateFileSystemEntries(folder, ".*").ToList())
        {
            string name = Path.GetFileName(path);
            if (!(name.EndsWith(".tmp", StringComparison.Ordinal) || name.EndsWith(".old", StringComparison.Ordinal) || name.EndsWith(".deleting", StringComparison.Ordinal)))
                continue;
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
            else
                TryDelete(path);
        }
    }

    private static string HiddenSibling(string full, string purpose) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.{purpose}");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
