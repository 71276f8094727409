using Xbm.IO;

namespace Xbm.Tests.IO;

/// <summary>A failed atomic write names the file the caller asked for, never the temporary it writes first (issue 12).</summary>
public sealed class AtomicFileErrorTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-atomic-errors");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AnUnwritableFolderNamesTheTargetNotTheTemporary()
    {
        string target = Path.Combine(TestPaths.UnwritableFolder(_folder), "summary.csv");
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(target, "x"));
        Assert.StartsWith($"{target}: cannot write: ", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        Assert.Contains("not writable", e.Message);
    }

    [Fact]
    public void AFolderInTheWayIsNamed()
    {
        string target = Directory.CreateDirectory(Path.Combine(_folder, "out.csv")).FullName;
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(target, "x"));
        Assert.Equal($"{target}: is a folder, expected a file to write", e.Message);
    }
}
