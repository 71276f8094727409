using Xbm.Data;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>
/// Small grey images whose class is a fixed random prototype plus per-image noise: learnable in a few
/// hundred iterations, and fast. Augmentation adds seeded noise.
/// </summary>
internal sealed class SyntheticImageSet : IImageSet
{
    private readonly float[][] _images;
    private readonly long[] _labels;
    private readonly int _size;

    public SyntheticImageSet(int classes, int perClass, int size = 12, ulong seed = 7, int firstClass = 0, double noise = 1.0)
    {
        _size = size;
        var random = new SeededRandom(seed);
        var protoRandom = new SeededRandom(1234);
        var prototypes = Enumerable.Range(0, firstClass + classes)
            .Select(_ => Enumerable.Range(0, size * size).Select(_ => (float)(protoRandom.NextDouble() * 2 - 1)).ToArray()).ToArray();
        _images = new float[classes * perClass][];
        _labels = new long[classes * perClass];
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < perClass; i++)
            {
                int n = c * perClass + i;
                _labels[n] = firstClass + c;
                _images[n] = prototypes[firstClass + c].Select(v => v + (float)(noise * (random.NextDouble() * 2 - 1))).ToArray();
            }
    }

    public int Count => _images.Length;

    public int Channels => 1;

    public IReadOnlyList<long> Labels => _labels;

    public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed)
    {
        var data = new float[positions.Count * _size * _size];
        for (int r = 0; r < positions.Count; r++)
        {
            var random = SeededRandom.Derive(seed, (ulong)r);
            var image = _images[positions[r]];
            for (int p = 0; p < image.Length; p++)
                data[r * image.Length + p] = image[p] + (augment ? (float)(0.2 * (random.NextDouble() * 2 - 1)) : 0f);
        }
        return tensor(data, new long[] { positions.Count, 1, _size, _size });
    }
}

/// <summary>A simple P×K sampler for trainer tests: seeded class choice, cycling through each class's images.</summary>
internal sealed class TestSampler : IBatchSampler
{
    private readonly int[][] _byClass;
    private readonly int _p, _k;
    private readonly ulong _seed;
    private long _drawn;

    public TestSampler(IReadOnlyList<long> labels, int p, int k, ulong seed)
    {
        _byClass = labels.Select((l, i) => (l, i)).GroupBy(x => x.l).OrderBy(g => g.Key).Select(g => g.Select(x => x.i).ToArray()).ToArray();
        (_p, _k, _seed) = (p, k, seed);
    }

    public IReadOnlyList<int> Next()
    {
        var random = SeededRandom.Derive(_seed, (ulong)_drawn++);
        var classes = Enumerable.Range(0, _byClass.Length).ToArray();
        random.Shuffle(classes);
        return classes.Take(_p).SelectMany(c => Enumerable.Range(0, _k).Select(_ => _byClass[c][random.Next(_byClass[c].Length)])).ToArray();
    }

    public string SaveState() => _drawn.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void LoadState(string state) => _drawn = long.Parse(state, System.Globalization.CultureInfo.InvariantCulture);
}
