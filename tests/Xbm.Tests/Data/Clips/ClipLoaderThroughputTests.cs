using System.Diagnostics;
using Xbm.Data.Clips;
using Xbm.Data.Images;
using Xunit.Abstractions;

namespace Xbm.Tests.Data.Clips;

/// <summary>
/// Measures the clip loader on 64 clips × 16 frames of 64×64 PNGs (a textured pattern, so decoding is not trivial):
/// clips/s and frames/s for 8 and 16 segments, test and training mode, batches of 8 clips, printed to the test
/// output. Checks that the test-mode batch holds what ImageDecoder and ImageTransform give frame by frame.
/// Run: dotnet test tests/Xbm.Tests --no-build --filter FullyQualifiedName~ClipLoaderThroughput --logger "console;verbosity=detailed"
/// </summary>
public sealed class ClipLoaderThroughputTests(ITestOutputHelper output) : IDisposable
{
    private const int Clips = 64, FramesPerClip = 16, Side = 64, Batch = 8;
    private readonly string _root = TestPaths.NewTemporaryFolder("xbm-clipbench");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void WriteDataset()
    {
        for (int c = 0; c < Clips; c++)
        {
            string folder = Directory.CreateDirectory(Path.Combine(_root, $"class_{c % 4}", $"clip_{c}")).FullName;
            for (int f = 0; f < FramesPerClip; f++)
            {
                var pixels = new byte[Side * Side * 3];
                for (int y = 0; y < Side; y++)
                    for (int x = 0; x < Side; x++)
                    {
                        int p = (y * Side + x) * 3;
                        pixels[p] = (byte)(x * 4 + f * 9);
                        pixels[p + 1] = (byte)(y * 4 + c * 5);
                        pixels[p + 2] = (byte)((x * y + f * c) * 7);
                    }
                File.WriteAllBytes(Path.Combine(folder, $"img_{f + 1}.png"), ImageDecoder.EncodePng(new RgbImage(Side, Side, pixels)));
            }
        }
    }

    [Fact]
    public void LoadsGeneratedClipsAndReportsThroughput()
    {
        WriteDataset();
        var set = ClipSet.Read(_root);
        Assert.Equal(Clips, set.Count);
        var transform = new ImageTransformOptions { ResizeTo = 64, CropSize = 56 };
        int workers = Environment.ProcessorCount;
        output.WriteLine($"{Clips} clips x {FramesPerClip} frames of {Side}x{Side} PNG, batches of {Batch} clips, crop 56, {workers} worker(s)");
        foreach (int segments in new[] { 8, 16 })
        {
            var loader = new ClipLoader(set, new ClipLoaderOptions { Segments = segments, Transform = transform, Workers = workers });
            foreach (bool training in new[] { false, true })
            {
                Pass(loader, training); // warm-up
                var clock = Stopwatch.StartNew();
                Pass(loader, training);
                double seconds = clock.Elapsed.TotalSeconds;
                output.WriteLine($"  N {segments,2}, {(training ? "training" : "test    ")}: {Clips / seconds,7:0} clips/s, {Clips * segments / seconds,7:0} frames/s");
            }
        }

        // The test-mode batch is the frames' own decode and transform.
        var check = new ClipLoader(set, new ClipLoaderOptions { Segments = 8, Transform = transform, Workers = workers });
        using var batch = check.Load([5], training: false, seed: 0);
        var values = batch.data<float>().ToArray();
        var single = new ImageTransform(transform);
        var frames = SegmentSampling.Indices(FramesPerClip, 8, null);
        for (int i = 0; i < 8; i++)
        {
            var expected = single.Apply(ImageDecoder.Decode(set.Clips[5].Frames[frames[i]]), null, augment: false, random: null);
            Assert.Equal(expected, values.Skip(i * single.OutputLength).Take(single.OutputLength));
        }
    }

    private static void Pass(ClipLoader loader, bool training)
    {
        for (int start = 0; start < Clips; start += Batch)
        {
            using var batch = loader.Load(Enumerable.Range(start, Batch).ToArray(), training, seed: (ulong)start);
            Assert.Equal([Batch, loader.Options.Segments, 3L, 56L, 56L], batch.shape);
        }
    }
}
