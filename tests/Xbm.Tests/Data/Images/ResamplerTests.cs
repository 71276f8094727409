using Xbm.Data.Images;

namespace Xbm.Tests.Data.Images;

public class ResamplerTests
{
    private static RgbImage Source => ImageDecoder.Decode(ImageFixtures.Path("colour.png"));

    [Theory]
    [InlineData(15, 11)]
    [InlineData(20, 22)]
    [InlineData(30, 9)]
    [InlineData(7, 5)]
    [InlineData(45, 33)]
    [InlineData(64, 17)]
    [InlineData(30, 22)]
    public void MatchesPilBilinearExactly(int width, int height)
    {
        var expected = ImageFixtures.Bytes(ImageFixtures.Expected.GetProperty("resized").GetProperty($"{width}x{height}"));
        var resized = Resampler.Resize(Source, width, height);
        Assert.Equal(width, resized.Width);
        Assert.Equal(height, resized.Height);
        Assert.Equal(expected, resized.Pixels);
    }

    [Theory]
    [InlineData(3, 2, 20, 15)]
    [InlineData(0, 0, 30, 22)]
    [InlineData(10, 5, 8, 14)]
    public void CropThenResizeMatchesPil(int left, int top, int width, int height)
    {
        var expected = ImageFixtures.Bytes(ImageFixtures.Expected.GetProperty("crops").GetProperty($"{left},{top},{width},{height}"));
        Assert.Equal(expected, Resampler.Resize(Source.Crop(left, top, width, height), 12, 12).Pixels);
    }

    [Theory]
    [InlineData(500, 375, 256, 341, 256)]
    [InlineData(375, 500, 256, 256, 341)]
    [InlineData(30, 22, 16, 21, 16)]
    [InlineData(100, 100, 256, 256, 256)]
    public void ShorterSideSizeTruncatesTheLongerSideAsTorchvision(int w, int h, int size, int ew, int eh)
    {
        Assert.Equal((ew, eh), Resampler.ShorterSideSize(w, h, size));
    }
}
