using Xbm.Data.Clips;
using Xbm.Runtime;

namespace Xbm.Tests.Data.Clips;

public sealed class SegmentSamplingTests
{
    [Fact]
    public void TestTakesTheCentreOfEachSegment()
    {
        Assert.Equal([1, 3, 5, 7, 9, 11, 13, 15], SegmentSampling.Indices(16, 8, null));
        Assert.Equal([1, 4, 8], SegmentSampling.Indices(10, 3, null)); // segments [0,3), [3,6), [6,10)
        Assert.Equal([0, 1, 2, 3, 4], SegmentSampling.Indices(5, 5, null));
        Assert.Equal([3], SegmentSampling.Indices(7, 1, null));
    }

    [Fact]
    public void TrainingTakesOneSeededRandomFrameInEachSegment()
    {
        int frames = 23, segments = 5;
        var seen = new HashSet<int>[segments];
        for (int i = 0; i < segments; i++)
            seen[i] = [];
        var random = new SeededRandom(4);
        for (int draw = 0; draw < 500; draw++)
        {
            var indices = SegmentSampling.Indices(frames, segments, random);
            for (int i = 0; i < segments; i++)
            {
                Assert.InRange(indices[i], i * frames / segments, (i + 1) * frames / segments - 1);
                seen[i].Add(indices[i]);
            }
        }
        // Every frame of every segment is drawn sometimes, so all 23 frames are used.
        Assert.Equal(frames, seen.Sum(s => s.Count));
        Assert.Equal(SegmentSampling.Indices(frames, segments, new SeededRandom(9)), SegmentSampling.Indices(frames, segments, new SeededRandom(9)));
    }

    [Fact]
    public void ShortClipsFailUnlessRepeatingIsAllowed()
    {
        var error = Assert.Throws<ArgumentException>(() => SegmentSampling.Indices(3, 5, null));
        Assert.Contains("3 frame(s), fewer than the 5 segments", error.Message);
        Assert.Equal([0, 0, 1, 2, 2], SegmentSampling.Indices(3, 5, null, repeatShortClips: true));
        Assert.Equal([0, 0, 1, 2, 2], SegmentSampling.Indices(3, 5, new SeededRandom(1), repeatShortClips: true));
        Assert.Equal([0, 0, 0, 0], SegmentSampling.Indices(1, 4, null, repeatShortClips: true));
    }
}
