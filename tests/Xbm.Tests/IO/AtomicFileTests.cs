using Xbm.IO;

namespace Xbm.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-atomic");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporary()
    {
        string path = Path.Combine(_folder, "a.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[] { 1, 2, 3 });
            throw new IOException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void AFailedFolderWriteLeavesTheOldFolderIntact()
    {
        string target = Path.Combine(_folder, "checkpoint");
        AtomicFile.WriteFolder(target, f => File.WriteAllText(Path.Combine(f, "model"), "v1"));
        Assert.Throws<IOException>(() => AtomicFile.WriteFolder(target, f =>
        {
            File.WriteAllText(Path.Combine(f, "model"), "v2-partial");
            throw new IOException("killed mid-write");
        }));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(target, "model")));
        Assert.Single(Directory.GetDirectories(_folder));

        AtomicFile.WriteFolder(target, f => File.WriteAllText(Path.Combine(f, "model"), "v2"));
        Assert.Equal("v2", File.ReadAllText(Path.Combine(target, "model")));
    }

    [Fact]
    public void AReadOnlyFolderIsAClearErrorAndKeepsTheOldFile()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName == "root")
            return; // root ignores permissions; the failure path is covered by the tests above.
        string path = Path.Combine(_folder, "a.txt");
        AtomicFile.WriteAllText(path, "old");
        File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            Assert.Throws<UnauthorizedAccessException>(() => AtomicFile.WriteAllText(path, "new"));
            Assert.Equal("old", File.ReadAllText(path));
        }
        finally
        {
            File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
