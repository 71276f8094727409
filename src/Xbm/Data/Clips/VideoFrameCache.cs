using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>
/// Decodes video files to JPEG frames (frame_000001.jpg, …) with the <c>ffmpeg</c> command, once: the frames live
/// in a cache folder named by a hash of the video's full path, size, modification time and the decoding settings,
/// so a changed video is decoded again. Decoding is atomic: ffmpeg writes into a temporary folder beside the
/// cache entry, which is renamed into place only when it holds at least one frame. A failed decode removes its
/// temporary folder; a killed process may leave a .tmp- folder behind, which is never taken for an entry (the
/// next read decodes the video again) and may be deleted by hand.
/// </summary>
public sealed class VideoFrameCache
{
    private const string FramePattern = "frame_%06d.jpg";
    private readonly ClipSetOptions _options;

    /// <summary>Creates the cache in <see cref="ClipSetOptions.ResolvedCacheFolder"/>.</summary>
    public VideoFrameCache(ClipSetOptions? options = null)
    {
        _options = options ?? new ClipSetOptions();
        if (_options.FramesPerSecond is { } fps && !(fps > 0 && double.IsFinite(fps)))
            throw new ArgumentException($"frames per second must be positive, got {fps}");
        Folder = _options.ResolvedCacheFolder();
    }

    /// <summary>The cache folder.</summary>
    public string Folder { get; }

    /// <summary>The cache entry (folder) of <paramref name="video"/>: changes when the file's size or modification time does.</summary>
    public string EntryFolder(string video)
    {
        var info = new FileInfo(video);
        string settings = _options.FramesPerSecond is { } fps ? "fps=" + fps.ToString("R", CultureInfo.InvariantCulture) : "all";
        string key = $"{info.FullName}\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}\n{settings}\njpeg-q2";
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];
        return Path.Combine(Folder, $"{Path.GetFileNameWithoutExtension(info.Name)}-{hash}");
    }

    /// <summary>
    /// The frames of <paramref name="video"/> in order, decoding it first unless cached. Errors are
    /// <see cref="InvalidDataException"/>s naming <paramref name="source"/> and the video (unreadable video, no frames),
    /// or an <see cref="InvalidOperationException"/> when ffmpeg cannot be run.
    /// </summary>
    public IReadOnlyList<string> Frames(string video, SourceLocation source)
    {
        string where = source.Line > 0 ? $"{source}: video {video}" : $"video {video}";
        if (!File.Exists(video))
            throw new InvalidDataException($"{where}: file not found");
        string entry = EntryFolder(video);
        if (!Directory.Exists(entry))
            Decode(video, entry, where);
        var frames = ClipFrameFiles.List(entry);
        if (frames.Count == 0)
            throw new InvalidDataException($"{where}: its cache folder {entry} holds no frames; delete it to decode again");
        return frames;
    }

    private void Decode(string video, string entry, string where)
    {
        Directory.CreateDirectory(Folder);
        // Only a GUID in the name: ffmpeg's image2 output reads '%' in the path as a pattern (the folder's own '%' are escaped below).
        string temporary = Path.Combine(Folder, $".tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            var start = new ProcessStartInfo(_options.Ffmpeg)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { "-nostdin", "-hide_banner", "-loglevel", "error", "-i", video })
                start.ArgumentList.Add(a);
            if (_options.FramesPerSecond is { } fps)
            {
                start.ArgumentList.Add("-vf");
                start.ArgumentList.Add("fps=" + fps.ToString("R", CultureInfo.InvariantCulture));
            }
            foreach (string a in new[] { "-fps_mode", "passthrough", "-an", "-q:v", "2", "-f", "image2", Path.Combine(temporary.Replace("%", "%%", StringComparison.Ordinal), FramePattern) })
                start.ArgumentList.Add(a);
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new Win32Exception("no process started");
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException(
                    $"{where}: cannot run '{_options.Ffmpeg}' to decode it ({e.Message}); install ffmpeg (Debian: apt-get install ffmpeg) or name its path", e);
            }
            string error;
            using (process)
            {
                try
                {
                    process.StandardInput.Close();
                    var stderr = process.StandardError.ReadToEndAsync();
                    process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    error = stderr.GetAwaiter().GetResult().Trim();
                }
                finally
                {
                    if (!process.HasExited)
                        process.Kill(entireProcessTree: true); // an exception while reading must not leave ffmpeg running
                }
                if (process.ExitCode != 0)
                    throw new InvalidDataException($"{where}: cannot decode the video: ffmpeg exited with code {process.ExitCode}{Detail(error)}");
            }
            if (ClipFrameFiles.List(temporary).Count == 0)
                throw new InvalidDataException($"{where}: cannot decode the video: ffmpeg wrote no frames{Detail(error)}");
            try
            {
                Directory.Move(temporary, entry);
            }
            catch (IOException) when (Directory.Exists(entry))
            {
                // Another process decoded the same video meanwhile: keep its entry.
                Directory.Delete(temporary, recursive: true);
            }
            Log($"decoded {ClipFrameFiles.List(entry).Count} frames of {video} into {entry}");
        }
        catch
        {
            if (Directory.Exists(temporary))
                Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    private static string Detail(string error)
    {
        if (error.Length == 0)
            return "";
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return ": " + string.Join(" | ", lines.TakeLast(3));
    }

    private void Log(string message)
    {
        if (_options.Log is { } log)
            log(message);
        else
            Console.Error.WriteLine(message);
    }
}
