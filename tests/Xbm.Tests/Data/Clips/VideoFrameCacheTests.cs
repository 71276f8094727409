using System.ComponentModel;
using System.Diagnostics;
using Xbm.Data.Clips;

namespace Xbm.Tests.Data.Clips;

/// <summary>
/// Video clips decoded with Debian's ffmpeg (which these tests need: CI installs it with apt-get install -y ffmpeg).
/// The test videos are made by ffmpeg itself from its testsrc pattern.
/// </summary>
public sealed class VideoFrameCacheTests : IDisposable
{
    private readonly string _root = TestPaths.NewTemporaryFolder("xbm-video");
    private readonly List<string> _log = [];

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Cache => Path.Combine(_root, "cache");

    private ClipSetOptions Options => new() { CacheFolder = Cache, Log = m => { lock (_log) _log.Add(m); } };

    /// <summary>Writes an MPEG-4 video of <paramref name="frames"/> 32×24 frames at 10 frames per second.</summary>
    private static string MakeVideo(string path, int frames)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=10",
                     "-frames:v", frames.ToString(), "-c:v", "mpeg4", "-pix_fmt", "yuv420p", path })
            start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("ffmpeg is not installed: the video tests need it (Debian, CI: apt-get install -y ffmpeg)", e);
        }
        using (process)
        {
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"ffmpeg could not make the test video: {error}");
        }
        return path;
    }

    [Fact]
    public void AVideoIsDecodedOnceAndAgainWhenItChanges()
    {
        string video = MakeVideo(Path.Combine(_root, "data", "fire", "v1.mp4"), 12);
        ClipFolders.Write(Path.Combine(_root, "data", "smoke", "c1"), 5);

        var set = ClipSet.Read(Path.Combine(_root, "data"), Options);
        Assert.Equal([video, Path.Combine(_root, "data", "smoke", "c1")], set.Clips.Select(c => c.Path));
        var clip = set.Clips[0];
        Assert.Equal(12, clip.Frames.Count);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"frame_{i:000000}.jpg"), clip.Frames.Select(Path.GetFileName));
        Assert.Equal(Cache, Path.GetDirectoryName(clip.FrameFolder));
        Assert.Single(_log, m => m.StartsWith("decoded 12 frames of " + video, StringComparison.Ordinal));

        // Cached: read again without decoding.
        var again = ClipSet.Read(Path.Combine(_root, "data"), Options);
        Assert.Equal(clip.Frames, again.Clips[0].Frames);
        Assert.Single(_log);

        // The loader reads the decoded frames.
        var loader = new ClipLoader(again, new ClipLoaderOptions { Segments = 4, Workers = 1, Transform = ClipFolders.RawTransform() });
        using (var batch = loader.Load([0], training: false, seed: 0))
            Assert.Equal([1L, 4L, 3L, 8L, 8L], batch.shape);

        // A changed video (new modification time) is another cache entry.
        File.SetLastWriteTimeUtc(video, File.GetLastWriteTimeUtc(video).AddMinutes(1));
        var changed = ClipSet.Read(Path.Combine(_root, "data"), Options);
        Assert.NotEqual(clip.FrameFolder, changed.Clips[0].FrameFolder);
        Assert.Equal(2, _log.Count);
        Assert.Empty(Directory.GetDirectories(Cache, ".tmp-*"));
    }

    [Fact]
    public void ACsvMayNameAVideo()
    {
        MakeVideo(Path.Combine(_root, "v.webm.mkv"), 6);
        string csv = Path.Combine(_root, "clips.csv");
        File.WriteAllText(csv, "v.webm.mkv,2\n");
        var set = ClipSet.Read(csv, Options);
        Assert.Equal(6, Assert.Single(set.Clips).Frames.Count);
        Assert.Equal(2L, set.Clips[0].Label);
    }

    [Fact]
    public void AnUnreadableVideoFailsNamingItAndLeavesNoCacheEntry()
    {
        string video = Path.Combine(_root, "data", "fire", "broken.avi");
        Directory.CreateDirectory(Path.GetDirectoryName(video)!);
        File.WriteAllBytes(video, Enumerable.Range(0, 500).Select(i => (byte)(i * 37)).ToArray());
        var error = Assert.Throws<InvalidDataException>(() => ClipSet.Read(Path.Combine(_root, "data"), Options));
        Assert.StartsWith($"video {video}: cannot decode the video: ffmpeg exited with code ", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Cache));
    }

    [Fact]
    public void AMissingFfmpegIsReportedWithTheInstallHint()
    {
        string video = Path.Combine(_root, "data", "fire", "v.mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(video)!);
        File.WriteAllBytes(video, [1, 2, 3]);
        var error = Assert.Throws<InvalidOperationException>(() => ClipSet.Read(Path.Combine(_root, "data"), Options with { Ffmpeg = "/nonexistent/ffmpeg" }));
        Assert.StartsWith($"video {video}: cannot run '/nonexistent/ffmpeg' to decode it", error.Message);
        Assert.Contains("apt-get install ffmpeg", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Cache));
    }
}
