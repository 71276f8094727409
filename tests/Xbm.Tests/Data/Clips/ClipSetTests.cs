using Xbm.Data.Clips;
using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Clips;

public sealed class ClipSetTests : IDisposable
{
    private readonly string _root = TestPaths.NewTemporaryFolder("xbm-clipset");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ClassFoldersGiveClipsWithFramesInNaturalOrder()
    {
        ClipFolders.Write(Path.Combine(_root, "smoke", "clip_10"), 3);
        ClipFolders.Write(Path.Combine(_root, "fire", "clip_2"), 12);
        ClipFolders.Write(Path.Combine(_root, "fire", "clip_1"), 4);
        File.WriteAllText(Path.Combine(_root, "fire", "notes.txt"), "not a clip");

        var set = ClipSet.Read(_root);

        Assert.Equal(3, set.Count);
        Assert.Equal([Path.Combine(_root, "fire", "clip_1"), Path.Combine(_root, "fire", "clip_2"), Path.Combine(_root, "smoke", "clip_10")], set.Clips.Select(c => c.Path));
        Assert.Equal([0L, 0L, 1L], set.Labels);
        Assert.Equal("fire", set.ClassNames![0]);
        Assert.Equal("smoke", set.ClassNames[1]);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"frame_{i}.png"), set.Clips[1].Frames.Select(Path.GetFileName));
        Assert.All(set.Clips, c => Assert.Null(c.Split));
        Assert.Contains(set.Warnings, w => w.Contains("notes.txt"));
    }

    [Fact]
    public void SplitFoldersSetTheSplit()
    {
        ClipFolders.Write(Path.Combine(_root, "train", "fire", "a"), 2);
        ClipFolders.Write(Path.Combine(_root, "test", "fire", "b"), 2);
        ClipFolders.Write(Path.Combine(_root, "test", "smoke", "c"), 2);
        var set = ClipSet.Read(_root);
        Assert.Equal([DatasetSplit.Test, DatasetSplit.Test, DatasetSplit.Train], set.Clips.Select(c => c.Split!.Value));
        Assert.Equal([0L, 1L, 0L], set.Labels);
    }

    [Fact]
    public void ACsvListsClipFoldersRelativeToItself()
    {
        ClipFolders.Write(Path.Combine(_root, "clips", "a"), 3);
        ClipFolders.Write(Path.Combine(_root, "clips", "b"), 5);
        string csv = Path.Combine(_root, "clips.csv");
        File.WriteAllText(csv, "clip_folder,label,split\nclips/b,smoke,train\n\n\"clips/a\",fire,test\n");
        var set = ClipSet.Read(csv);
        Assert.Equal([Path.Combine(_root, "clips", "b"), Path.Combine(_root, "clips", "a")], set.Clips.Select(c => c.Path));
        Assert.Equal([1L, 0L], set.Labels);
        Assert.Equal([DatasetSplit.Train, DatasetSplit.Test], set.Clips.Select(c => c.Split!.Value));
        Assert.Equal(new SourceLocation(csv, 4), set.Clips[1].Source);
        Assert.Equal(5, set.Clips[0].Frames.Count);

        File.WriteAllText(csv, $"{Path.Combine(_root, "clips", "a")},3\nclips/b,1\n");
        var plain = ClipSet.Read(csv);
        Assert.Equal([3L, 1L], plain.Labels);
        Assert.Null(plain.ClassNames);
        Assert.All(plain.Clips, c => Assert.Null(c.Split));
    }

    [Fact]
    public void AMissingClipFolderIsNamedWithItsCsvLine()
    {
        ClipFolders.Write(Path.Combine(_root, "a"), 3);
        string csv = Path.Combine(_root, "clips.csv");
        File.WriteAllText(csv, "a,0\nmissing_clip,1\n");
        var error = Assert.Throws<InvalidDataException>(() => ClipSet.Read(csv));
        Assert.Equal($"{csv}:2: clip {Path.Combine(_root, "missing_clip")}: clip folder not found", error.Message);
    }

    [Fact]
    public void AnEmptyClipFolderIsNamed()
    {
        ClipFolders.Write(Path.Combine(_root, "fire", "good"), 3);
        string empty = Directory.CreateDirectory(Path.Combine(_root, "fire", "empty")).FullName;
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no frames here");
        var error = Assert.Throws<InvalidDataException>(() => ClipSet.Read(_root));
        Assert.StartsWith($"clip {empty}: no frames in the clip folder", error.Message);
    }

    [Fact]
    public void BadCsvRowsAreNamed()
    {
        ClipFolders.Write(Path.Combine(_root, "a"), 3);
        string csv = Path.Combine(_root, "clips.csv");
        File.WriteAllText(csv, "a,0,holdout\n");
        Assert.Equal($"{csv}:1: split 'holdout' is not train, validation, test, query or gallery", Assert.Throws<InvalidDataException>(() => ClipSet.Read(csv)).Message);
        File.WriteAllText(csv, "a\n");
        Assert.Contains($"{csv}:1: expected clip_folder,label[,split]", Assert.Throws<InvalidDataException>(() => ClipSet.Read(csv)).Message);
        Assert.Throws<FileNotFoundException>(() => ClipSet.Read(Path.Combine(_root, "nothing")));
    }
}
