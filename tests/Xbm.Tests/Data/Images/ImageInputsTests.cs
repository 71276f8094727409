using Xbm.Data.Images;

namespace Xbm.Tests.Data.Images;

public sealed class ImageInputsTests : IDisposable
{
    private readonly string _folder = ImageFixtures.TempFolder("image-inputs");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AFolderGivesClassesFromItsSubfoldersAndMinusOneOutsideThem()
    {
        PngFolders.Write(_folder, ["b", "a"], 2, side: 8);
        PngFolders.WriteOne(Path.Combine(_folder, "top.png"), 0, 0, side: 8);
        File.WriteAllText(Path.Combine(_folder, "a", "readme.txt"), "skipped");
        var inputs = ImageInputs.Read(_folder);
        Assert.Equal(["a", "b"], inputs.ClassNames);
        Assert.Equal(["a/a0.png", "a/a1.png", "b/b0.png", "b/b1.png", "top.png"], inputs.Items.Select(i => Path.GetRelativePath(_folder, i.Path)));
        Assert.Equal([0L, 0, 1, 1, -1], inputs.Items.Select(i => i.Label));
    }

    [Fact]
    public void AListNamesItsBadLinesAndAnEmptyFolderIsAnError()
    {
        string image = PngFolders.WriteOne(Path.Combine(_folder, "x.png"), 0, 0, side: 8);
        string list = Path.Combine(_folder, "list.txt");
        File.WriteAllText(list, "# header\n\n  x.png  \n");
        var inputs = ImageInputs.Read(list);
        Assert.Equal([image], inputs.Items.Select(i => i.Path));
        Assert.Equal($"{list}:3", inputs.Items[0].Source);
        Assert.Empty(inputs.ClassNames);

        File.WriteAllText(list, "x.png\n.\n");
        Assert.Contains($"{list}:2: . is a folder", Assert.Throws<InvalidDataException>(() => ImageInputs.Read(list)).Message);
        File.WriteAllText(list, "# nothing\n");
        Assert.Contains("lists no image", Assert.Throws<InvalidDataException>(() => ImageInputs.Read(list)).Message);
        string empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        Assert.Contains("no images found", Assert.Throws<InvalidDataException>(() => ImageInputs.Read(empty)).Message);
        Assert.Throws<FileNotFoundException>(() => ImageInputs.Read(Path.Combine(_folder, "nowhere")));
    }
}
