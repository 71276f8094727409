using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Data.Manifest;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Tests.Reporting;

/// <summary>A query image file gets exactly the preprocessing the run's own images get at test time.</summary>
public sealed class QueryImagesTests : IDisposable
{
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"xbm-query-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static RgbImage Grey(ReadOnlySpan<byte> plane, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
            pixels.AsSpan(3 * i, 3).Fill(plane[i]);
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void AGreyPngOfAnInMemoryImageLoadsAsThatImage()
    {
        var bytes = new byte[2 * 28 * 28];
        new Random(5).NextBytes(bytes);
        using var images = tensor(bytes, new long[] { 2, 1, 28, 28 });
        using var set = new TensorImageSet(images, new long[] { 3, 4 }, PixelNormalization.FashionMnist);
        string png = Path.Combine(_folder, "item1.png");
        File.WriteAllBytes(png, ImageDecoder.EncodePng(Grey(bytes.AsSpan(28 * 28), 28, 28)));

        using var query = QueryImages.Load(png, set);
        using var expected = set.Load(new[] { 1 }, augment: false, seed: 0);
        Assert.Equal(expected.shape, query.shape);
        Assert.True(query.eq(expected).all().item<bool>());

        string wrong = Path.Combine(_folder, "wide.png");
        File.WriteAllBytes(wrong, ImageDecoder.EncodePng(new RgbImage(30, 28)));
        var error = Assert.Throws<InvalidDataException>(() => QueryImages.Load(wrong, set));
        Assert.Contains(wrong, error.Message);
        Assert.Contains("28×28", error.Message);
        Assert.Equal(200, QueryImages.Luma(200, 200, 200));
    }

    [Fact]
    public void AnImageFileOfAFileSetLoadsWithTheSetsTestTransform()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Datasets", "folder", "test");
        var entries = new[] { "dog/dog0.jpg", "eel/eel1.png" }
            .Select((p, i) => new ManifestEntry(Path.Combine(root, p), i, DatasetSplit.Test, new SourceLocation(p, 0))).ToList();
        var set = new FileImageSet(entries, new FileImageSetOptions { Transform = ImageTransformOptions.ImageNet with { ResizeTo = 20, CropSize = 16 }, Workers = 1 });

        using var batch = QueryImages.Load(entries.Select(e => e.Path).ToList(), set);
        using var expected = set.Load(new[] { 0, 1 }, augment: false, seed: 0);
        Assert.Equal(new long[] { 2, 3, 16, 16 }, batch.shape);
        Assert.True(batch.eq(expected).all().item<bool>());

        string missing = Path.Combine(_folder, "nope.jpg");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => QueryImages.Load(missing, set)).Message);
    }
}
