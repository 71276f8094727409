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
    public void DeletedAndReplacedFoldersLeaveNoSiblingBehind()
    {
        string target = Path.Combine(_folder, "iter-00000001");
        AtomicFile.WriteFolder(target, f => File.WriteAllText(Path.Combine(f, "model"), "v1"));
        AtomicFile.WriteFolder(target, f => File.WriteAllText(Path.Combine(f, "model"), "v2"));
        Assert.Equal(new[] { target }, Directory.GetFileSystemEntries(_folder));
        AtomicFile.DeleteFolder(target);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void LeftoversOfInterruptedWritesAndDeletionsAreHiddenAndRemoved()
    {
        // What a SIGKILL can leave: a half-deleted folder, a replaced folder not yet deleted, a temporary file.
        string deleting = Directory.CreateDirectory(Path.Combine(_folder, ".iter-00000001.77.0a1b.deleting")).FullName;
        File.WriteAllText(Path.Combine(deleting, "trainer.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_folder, ".iter-00000002.77.2c3d.old"));
        File.WriteAllText(Path.Combine(_folder, ".latest.77.4e5f.tmp"), "iter-");
        File.WriteAllText(Path.Combine(_folder, ".keep"), "");
        string checkpoint = Directory.CreateDirectory(Path.Combine(_folder, "iter-00000003")).FullName;

        Assert.Equal(new[] { checkpoint }, Directory.GetDirectories(_folder, "iter-*")); // readers never see them
        AtomicFile.RemoveLeftovers(_folder);
        Assert.Equal(new[] { ".keep", "iter-00000003" }, Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
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
