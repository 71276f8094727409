using Xbm.Runtime;

namespace Xbm.Data.Clips;

/// <summary>
/// The frame choice of TSN/TRN: a clip of L frames is cut into N segments of equal length, one frame from each.
/// Segment i covers frames ⌊i·L/N⌋ … ⌊(i+1)·L/N⌋ − 1 (at least one frame when L ≥ N; all frames are covered).
/// Training takes a uniformly random frame of each segment; test takes its centre, ⌊(start + end) / 2⌋ with end
/// exclusive. A clip with fewer frames than segments is an error unless repeating is allowed: then segment i takes
/// frame ⌊(2i + 1)·L / (2N)⌋ (the frame under the centre of the i-th of N equal parts of the clip), in training and
/// test alike, so every frame appears, in order, once or more.
/// </summary>
public static class SegmentSampling
{
    /// <summary>
    /// The N frame indices of a clip of <paramref name="frameCount"/> frames: random within each segment when
    /// <paramref name="random"/> is given (training), the centres otherwise.
    /// </summary>
    public static int[] Indices(int frameCount, int segments, SeededRandom? random, bool repeatShortClips = false)
    {
        if (segments < 1)
            throw new ArgumentOutOfRangeException(nameof(segments), segments, "at least one segment");
        if (frameCount < 1)
            throw new ArgumentOutOfRangeException(nameof(frameCount), frameCount, "a clip has at least one frame");
        var result = new int[segments];
        if (frameCount < segments)
        {
            if (!repeatShortClips)
                throw new ArgumentException($"{frameCount} frame(s), fewer than the {segments} segments (allow repeated frames, or use fewer segments)", nameof(frameCount));
            for (int i = 0; i < segments; i++)
                result[i] = (int)((2L * i + 1) * frameCount / (2L * segments));
            return result;
        }
        for (int i = 0; i < segments; i++)
        {
            int start = (int)((long)i * frameCount / segments);
            int end = (int)((long)(i + 1) * frameCount / segments);
            result[i] = random is null ? (start + end) / 2 : start + random.Next(end - start);
        }
        return result;
    }
}
