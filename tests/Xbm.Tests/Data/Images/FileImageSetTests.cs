using Xbm.Data.Images;
using Xbm.Data.Manifest;
using Xbm.Tests.Data.Readers;
using static TorchSharp.torch;

namespace Xbm.Tests.Data.Images;

public class FileImageSetTests
{
    private static readonly ImageTransformOptions Small = new() { ResizeTo = 20, CropSize = 16 };

    private static FileImageSet Set(DatasetManifest manifest, int workers, BadImagePolicy policy = BadImagePolicy.Fail, List<string>? log = null) =>
        new(manifest.Entries, new FileImageSetOptions { Transform = Small, Workers = workers, OnBadImage = policy, Log = log is null ? _ => { } : log.Add });

    [Fact]
    public void OneAndFourWorkersGiveIdenticalBatches()
    {
        var manifest = new SopReader().Read(DatasetFixtures.Path("sop"));
        var one = Set(manifest, 1);
        var four = Set(manifest, 4);
        int[] positions = [3, 0, 7, 7, 12, 5, 1, 9, 2, 2, 11];
        foreach (bool augment in new[] { true, false })
        {
            using var a = one.Load(positions, augment, seed: 42);
            using var b = four.Load(positions, augment, seed: 42);
            Assert.Equal([positions.Length, 3L, 16, 16], a.shape);
            Assert.True(a.equal(b).all().item<bool>());
        }
        using var s1 = one.Load(positions, true, seed: 1);
        using var s2 = one.Load(positions, true, seed: 2);
        Assert.False(s1.equal(s2).all().item<bool>());
    }

    /// <summary>A data-parallel rank's slice (docs/design.md §10) decodes only its entries, exactly as the whole batch renders them.</summary>
    [Fact]
    public void SlicesEqualTheWholeBatchsEntries()
    {
        var set = Set(new SopReader().Read(DatasetFixtures.Path("sop")), 2);
        int[] positions = [3, 0, 7, 7, 12, 5, 1, 9, 2, 2, 11, 4];
        using var whole = set.Load(positions, augment: true, seed: 42);
        foreach (var (first, count) in new[] { (0, 6), (6, 6), (9, 3) })
        {
            using var slice = set.LoadSlice(positions, first, count, augment: true, seed: 42);
            Assert.Equal([count, 3L, 16, 16], slice.shape);
            Assert.True(slice.equal(whole.narrow(0, first, count)).all().item<bool>(), $"entries {first}..{first + count - 1}");
        }
    }

    [Fact]
    public void RepeatedPositionsInABatchGetDifferentAugmentationsAndLoadImageMatches()
    {
        var set = Set(new SopReader().Read(DatasetFixtures.Path("sop")), 2);
        using var batch = set.Load([4, 4], augment: true, seed: 8);
        Assert.False(batch[0].equal(batch[1]).all().item<bool>());
        var single = set.LoadImage(4, augment: true, seed: 8, batchIndex: 1);
        Assert.Equal(single, batch[1].data<float>().ToArray());
        Assert.Equal(set.Labels, set.Entries.Select(e => e.Label));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Load([set.Count], false, 0));
    }

    [Fact]
    public void BadImageFailsNamingTheListLine()
    {
        var manifest = new CsvReader().Read(DatasetFixtures.Path("corrupt"));
        var set = Set(manifest, 4);
        var e = Assert.Throws<InvalidDataException>(() => set.Load([0, 1, 2, 5], augment: false, seed: 0));
        Assert.StartsWith($"{DatasetFixtures.Path("corrupt", "manifest.csv")}:3:", e.Message); // a1.jpg, the earliest bad image
        using var fine = set.Load([0, 2, 3], false, 0);
        Assert.Equal(3, (int)fine.shape[0]);
    }

    [Fact]
    public void BadImagesAreSkippedDeterministicallyWithTheNextReadableImageOfTheClass()
    {
        var manifest = new CsvReader().Read(DatasetFixtures.Path("corrupt"));
        var log = new List<string>();
        var set = Set(manifest, 4, BadImagePolicy.Skip, log);
        var reference = Set(manifest, 1);
        // a1 (garbage) -> a2; b2 (truncated) -> b3 is missing -> b0 (wraps around); c1 (empty) -> c0.
        using var batch = set.Load([1, 5, 8], augment: true, seed: 11);
        using var expected = reference.Load([2, 3, 7], augment: true, seed: 11);
        Assert.True(batch.equal(expected).all().item<bool>());
        string[] logged = ["a1.jpg", "b2.jpg", "b3.jpg", "c1.jpg"]; // b3 is missing: tried as b2's replacement
        Assert.Equal(logged, log.Select(l => logged.Single(f => l.Contains(f))).Order());
        Assert.Contains(log, l => l.Contains("a1.jpg") && l.Contains("manifest.csv:3"));
        Assert.Contains(1, set.BadImages.Keys);

        // The same batch again: same result, nothing logged twice.
        using var again = set.Load([1, 5, 8], augment: true, seed: 11);
        Assert.True(again.equal(batch).all().item<bool>());
        Assert.Equal(logged.Length, log.Count);

        // A class with no readable image left cannot be skipped.
        var e = Assert.Throws<InvalidDataException>(() => set.Load([9], false, 0));
        Assert.Contains("no readable image of class 3", e.Message);
    }
}
