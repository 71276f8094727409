using Xbm.IO;

namespace Xbm.Tests.IO;

public sealed class OutputTargetTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-output-target");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AFileInAFolderToCreateIsFineAndNothingIsLeftBehind()
    {
        OutputTarget.EnsureFile(Path.Combine(_folder, "a", "b", "out.csv"), "--out");
        OutputTarget.EnsureFolder(Path.Combine(_folder, "c", "d"), "--out");
        OutputTarget.EnsureFile(Path.Combine(_folder, "out.csv"), "--out");
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void AnUnwritableFolderIsAnErrorNamingTheOptionAndTheTarget()
    {
        string locked = TestPaths.UnwritableFolder(_folder);
        string file = Path.Combine(locked, "out.csv");
        var e = Assert.Throws<IOException>(() => OutputTarget.EnsureFile(file, "--per-class-csv"));
        Assert.Equal($"--per-class-csv {file}: the folder {locked} is not writable (permission denied)", e.Message);
        string nested = Path.Combine(locked, "report", "x");
        e = Assert.Throws<IOException>(() => OutputTarget.EnsureFolder(nested, "--out"));
        Assert.Equal($"--out {nested}: cannot create the folder {nested}: {locked} is not writable (permission denied)", e.Message);
    }

    [Fact]
    public void AFileWhereAFolderBelongsAndTheReverseAreErrors()
    {
        string file = Path.Combine(_folder, "file.txt");
        File.WriteAllText(file, "x");
        Assert.Equal($"--out {file}: is a file, expected a folder", Assert.Throws<IOException>(() => OutputTarget.EnsureFolder(file, "--out")).Message);
        Assert.Equal($"--out {Path.Combine(file, "x.csv")}: cannot create the folder {file}: {file} is a file",
            Assert.Throws<IOException>(() => OutputTarget.EnsureFile(Path.Combine(file, "x.csv"), "--out")).Message);
        Assert.Equal($"--out {_folder}: is a folder, expected a file", Assert.Throws<IOException>(() => OutputTarget.EnsureFile(_folder, "--out")).Message);
    }
}
