using Xbm.Data.Clips;
using Xbm.Models;
using Xbm.Tests.Models;
using static TorchSharp.torch;

namespace Xbm.Tests.Data.Clips;

public sealed class ClipLoaderTests : IDisposable
{
    private readonly string _root = TestPaths.NewTemporaryFolder("xbm-cliploader");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ClipSet ThreeClips()
    {
        ClipFolders.Write(Path.Combine(_root, "fire", "a"), 16, green: 1);
        ClipFolders.Write(Path.Combine(_root, "fire", "b"), 10, green: 2);
        ClipFolders.Write(Path.Combine(_root, "smoke", "c"), 21, green: 3);
        return ClipSet.Read(_root);
    }

    private static ClipLoaderOptions Options(int segments = 4, int workers = 1, bool repeat = false) => new()
    {
        Segments = segments, Workers = workers, RepeatShortClips = repeat, Transform = ClipFolders.RawTransform(),
    };

    /// <summary>The red value of each frame of each clip in the batch (frames are solid colours).</summary>
    private static float[][] RedPerFrame(Tensor batch)
    {
        var red = batch[.., .., 0, 0, 0].contiguous().data<float>().ToArray();
        int n = (int)batch.shape[1];
        return Enumerable.Range(0, (int)batch.shape[0]).Select(r => red.Skip(r * n).Take(n).ToArray()).ToArray();
    }

    [Fact]
    public void TestBatchesHoldTheSegmentCentresInOrder()
    {
        var loader = new ClipLoader(ThreeClips(), Options());
        using var batch = loader.Load([2, 0, 1], training: false, seed: 0);
        Assert.Equal([3L, 4L, 3L, 8L, 8L], batch.shape);
        Assert.Equal([0L, 0L, 1L], loader.Labels);
        var red = RedPerFrame(batch);
        int[][] expected = [SegmentSampling.Indices(21, 4, null), SegmentSampling.Indices(16, 4, null), SegmentSampling.Indices(10, 4, null)];
        for (int r = 0; r < 3; r++)
            Assert.Equal(expected[r].Select(i => (float)ClipFolders.Red(i)), red[r]);
        Assert.Equal(3f, batch[0, 2, 1, 5, 5].item<float>()); // green: the clip's number
        Assert.Equal(0f, batch[1, 1, 2, 0, 7].item<float>());
    }

    [Fact]
    public void TrainingBatchesAreSeededAndTheSameForAnyNumberOfWorkers()
    {
        var set = ThreeClips();
        var single = new ClipLoader(set, Options() with { Transform = ClipFolders.RawTransform() with { ResizeTo = 10 } });
        var parallel = new ClipLoader(set, Options(workers: 3) with { Transform = ClipFolders.RawTransform() with { ResizeTo = 10 } });
        using var a = single.Load([0, 1, 2, 0], training: true, seed: 42);
        using var b = parallel.Load([0, 1, 2, 0], training: true, seed: 42);
        using var c = single.Load([0, 1, 2, 0], training: true, seed: 43);
        Assert.True(a.Same(b), "the batch depends on the number of workers");
        Assert.False(a.Same(c), "another seed gave the same batch");
        var red = RedPerFrame(a);
        for (int r = 0; r < 4; r++)
        {
            var frames = single.FrameIndices(r % 3, training: true, seed: 42, batchIndex: r);
            Assert.Equal(frames.Select(i => (float)ClipFolders.Red(i)), red[r]);
            int count = set.Clips[r % 3].Frames.Count;
            for (int i = 0; i < 4; i++)
                Assert.InRange(frames[i], i * count / 4, (i + 1) * count / 4 - 1);
        }
    }

    [Fact]
    public void ShortClipsFailNamingTheClipUnlessRepeatingIsAllowed()
    {
        var set = ThreeClips();
        var error = Assert.Throws<InvalidDataException>(() => new ClipLoader(set, Options(segments: 12)));
        Assert.Equal($"clip {Path.Combine(_root, "fire", "b")}: 10 frame(s), fewer than the 12 segments; allow repeated frames (repeat short clips) or use fewer segments", error.Message);

        var loader = new ClipLoader(set, Options(segments: 12, repeat: true));
        using var batch = loader.Load([1], training: true, seed: 1);
        Assert.Equal(SegmentSampling.Indices(10, 12, null, repeatShortClips: true).Select(i => (float)ClipFolders.Red(i)), RedPerFrame(batch)[0]);
    }

    [Fact]
    public void ACorruptFrameFailsNamingTheClipAndTheFrameFile()
    {
        var set = ThreeClips();
        string clip = Path.Combine(_root, "smoke", "c");
        string frame = Path.Combine(clip, "frame_3.png"); // index 2: the centre of segment 0 of 21 frames in 4 segments ([0, 5))
        File.WriteAllBytes(frame, File.ReadAllBytes(frame)[..40]);
        var loader = new ClipLoader(set, Options(workers: 2));
        var error = Assert.Throws<InvalidDataException>(() => loader.Load([0, 2], training: false, seed: 0));
        Assert.StartsWith($"clip {clip}: frame 3 of 21: {frame}: cannot decode", error.Message);

        File.Delete(frame);
        error = Assert.Throws<InvalidDataException>(() => loader.Load([2], training: false, seed: 0));
        Assert.Equal($"clip {clip}: frame 3 of 21: image not found: {frame}", error.Message);
    }

    [Fact]
    public void TheBatchFeedsTheClipModel()
    {
        using var scope = NewDisposeScope();
        var loader = new ClipLoader(ThreeClips(), Options());
        var batch = loader.Load([0, 1, 2], training: true, seed: 3);
        using var model = new Xbm.Models.Temporal.ClipEmbeddingModel(new SmallCnn(3, 4), 4, 8,
            new Xbm.Models.Temporal.ClipEmbeddingOptions { FrameDimension = 8, RelationDimension = 8, Relation = new() { Bottleneck = 8 } });
        Assert.Equal([3L, 8L], model.forward(batch).shape);
    }
}
