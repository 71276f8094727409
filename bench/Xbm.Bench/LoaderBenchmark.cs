using BenchmarkDotNet.Attributes;
using Xbm.Data.Images;
using Xbm.Data.Manifest;

namespace Xbm.Bench;

/// <summary>
/// Loader throughput: images per second decoded (JPEG, about 500×375 like the benchmark datasets' photos) and
/// transformed to 224×224 float tensors, with the training augmentation (resize 256, random resized crop, flip)
/// and with the test preprocessing (resize 256, centre crop), on 1 and 2 worker threads. Each operation is one
/// image (a batch of <see cref="Batch"/> per invocation). <see cref="DecodeOnly"/> isolates the JPEG decode.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class LoaderBenchmark
{
    /// <summary>Images per batch.</summary>
    public const int Batch = 64;

    private const int Images = 256;
    private string _folder = "";
    private FileImageSet _set = null!;
    private int[][] _batches = null!;
    private ulong _step;

    /// <summary>Decoding threads.</summary>
    [Params(1, 2)]
    public int Workers { get; set; }

    /// <summary>Training augmentation (true) or test preprocessing (false).</summary>
    [Params(true, false)]
    public bool Augment { get; set; }

    /// <summary>Writes the JPEGs to a temporary folder and builds the image set.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"xbm-loader-bench-{Environment.ProcessId}");
        var entries = WriteImages(_folder, Images);
        _set = new FileImageSet(entries, new FileImageSetOptions { Workers = Workers, Transform = ImageTransformOptions.ImageNet });
        var random = new Random(1);
        _batches = Enumerable.Range(0, Images / Batch).Select(_ => Enumerable.Range(0, Batch).Select(_ => random.Next(Images)).ToArray()).ToArray();
    }

    /// <summary>Deletes the images.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Loads one batch of 224×224 images (per-image time: OperationsPerInvoke = batch).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void LoadBatch()
    {
        ulong step = _step++;
        using var tensor = _set.Load(_batches[step % (ulong)_batches.Length], Augment, step);
    }

    /// <summary>JPEG decode alone, one thread (per-image time).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void DecodeOnly()
    {
        var batch = _batches[_step++ % (ulong)_batches.Length];
        foreach (int p in batch)
            ImageDecoder.Decode(_set.Entries[p].Path);
    }

    /// <summary>
    /// Writes <paramref name="count"/> photo-like JPEGs (smooth shapes, gradients and mild noise, quality 90,
    /// sizes around 500×375 in both orientations) and returns their manifest entries (10 classes).
    /// </summary>
    public static List<ManifestEntry> WriteImages(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(12345);
        var entries = new List<ManifestEntry>(count);
        for (int i = 0; i < count; i++)
        {
            bool portrait = i % 4 == 3;
            int width = portrait ? 375 : 500 - random.Next(0, 60), height = portrait ? 500 : 375 - random.Next(0, 40);
            var image = new RgbImage(width, height);
            var px = image.Pixels;
            // A few soft colour blobs over a gradient, plus noise: compresses like a photo (tens of KB).
            var blobs = Enumerable.Range(0, 6).Select(_ => (X: random.Next(width), Y: random.Next(height), R: 40 + random.Next(120),
                C: new[] { random.Next(256), random.Next(256), random.Next(256) })).ToArray();
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int o = (y * width + x) * 3;
                    for (int c = 0; c < 3; c++)
                    {
                        double v = 60 + 100.0 * x / width * (c == 0 ? 1 : 0.5) + 60.0 * y / height * (c == 2 ? 1 : 0.3);
                        foreach (var b in blobs)
                        {
                            double d2 = ((x - b.X) * (x - b.X) + (y - b.Y) * (y - b.Y)) / (double)(b.R * b.R);
                            if (d2 < 1)
                                v = v * d2 + b.C[c] * (1 - d2);
                        }
                        px[o + c] = (byte)Math.Clamp(v + random.Next(-12, 13), 0, 255);
                    }
                }
            string path = Path.Combine(folder, $"{i:D4}.jpg");
            File.WriteAllBytes(path, ImageDecoder.EncodeJpeg(image, 90));
            entries.Add(new ManifestEntry(path, i % 10, DatasetSplit.Train, new SourceLocation(path, 0)));
        }
        return entries;
    }
}
