using Xbm.Data.Images;

namespace Xbm.Tests.Data.Images;

public class ImageDecoderTests
{
    [Theory]
    [InlineData("colour.png", 0)]
    [InlineData("grey.png", 0)]
    [InlineData("rgba.png", 0)]
    [InlineData("palette.png", 0)]
    [InlineData("colour.jpg", 2)] // JPEG decoders may differ slightly in their inverse DCT
    [InlineData("grey.jpg", 2)]
    public void DecodesToThePixelsPilGives(string file, int tolerance)
    {
        var expected = ImageFixtures.Expected.GetProperty("decoded").GetProperty(file);
        var image = ImageDecoder.Decode(ImageFixtures.Path(file));
        Assert.Equal(expected.GetProperty("width").GetInt32(), image.Width);
        Assert.Equal(expected.GetProperty("height").GetInt32(), image.Height);
        var reference = ImageFixtures.Bytes(expected.GetProperty("rgb"));
        Assert.Equal(reference.Length, image.Pixels.Length);
        int worst = reference.Zip(image.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= tolerance, $"{file}: largest difference {worst}");
    }

    [Theory]
    [InlineData("grey.png")]
    [InlineData("grey.jpg")]
    public void GreyImagesHaveThreeEqualChannels(string file)
    {
        var image = ImageDecoder.Decode(ImageFixtures.Path(file));
        for (int i = 0; i < image.Pixels.Length; i += 3)
        {
            Assert.Equal(image.Pixels[i], image.Pixels[i + 1]);
            Assert.Equal(image.Pixels[i], image.Pixels[i + 2]);
        }
        Assert.True(image.Pixels.Distinct().Count() > 10);
    }

    [Fact]
    public void PngRoundTripIsExactAndBadBytesNameTheSource()
    {
        var image = ImageFixtures.Synthetic(9, 5);
        var back = ImageDecoder.Decode(ImageDecoder.EncodePng(image), "synthetic");
        Assert.Equal(image.Pixels, back.Pixels);
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode([1, 2, 3, 4, 5], "broken.jpg"));
        Assert.StartsWith("broken.jpg:", e.Message);
        byte[] jpeg = File.ReadAllBytes(ImageFixtures.Path("colour.jpg"));
        e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(jpeg[..(jpeg.Length / 2)], "half.jpg"));
        Assert.StartsWith("half.jpg:", e.Message);
        Assert.Throws<FileNotFoundException>(() => ImageDecoder.Decode(ImageFixtures.Path("absent.jpg")));

        // A larger JPEG cut after its headers: the codec starts but the pixels are incomplete.
        var big = new RgbImage(96, 96);
        new Random(3).NextBytes(big.Pixels);
        byte[] encoded = ImageDecoder.EncodeJpeg(big, 95);
        e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(encoded[..(encoded.Length * 2 / 3)], "cut.jpg"));
        Assert.Equal("cut.jpg: cannot decode: the file is cut short", e.Message);
    }
}
