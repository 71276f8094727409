using Xbm.Data.Images;
using Xbm.Data.Manifest;
using Xbm.Runtime;

namespace Xbm.Tests.Data.Images;

public class ImageTransformTests
{
    private static RgbImage Colour => ImageDecoder.Decode(ImageFixtures.Path("colour.png"));

    [Fact]
    public void TestTimePipelineMatchesTheTorchvisionSemanticsReference()
    {
        // Resize(16) + CenterCrop(12) + ToTensor + Normalize(ImageNet) on a 30x22 image (left offset round(4.5) = 4).
        var imagenet = new ImageTransform(new ImageTransformOptions { ResizeTo = 16, CropSize = 12 });
        AssertClose(ImageFixtures.Expected.GetProperty("eval").GetProperty("imagenet").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
            imagenet.Apply(Colour, null, augment: false, random: null), 1e-5f);

        var bn = new ImageTransform(ImageTransformOptions.BnInception with { ResizeTo = 16, CropSize = 13 });
        AssertClose(ImageFixtures.Expected.GetProperty("eval").GetProperty("bn_inception").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
            bn.Apply(Colour, null, augment: false, random: null), 1e-3f);
    }

    [Fact]
    public void CentreCropIsExactOnASyntheticImage()
    {
        var image = ImageFixtures.Synthetic(11, 8);
        var options = new ImageTransformOptions { ResizeTo = 0, CropSize = 4, Mean = [0, 0, 0], Std = [1, 1, 1], PixelRange = 255 };
        var output = new ImageTransform(options).Apply(image, null, false, null);
        // top = round((8 - 4) / 2) = 2, left = round((11 - 4) / 2) = round(3.5) = 4 (half to even)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal(image[x + 4, y + 2, c], output[c * 16 + y * 4 + x], 4);
        Assert.Equal((2, 4), ImageTransform.CenterCropOffset(11, 8, 4));
        Assert.Equal((2, 2), ImageTransform.CenterCropOffset(9, 9, 4)); // round(2.5) = 2
        Assert.Equal((-1, 0), ImageTransform.CenterCropOffset(4, 2, 4)); // padded
    }

    [Fact]
    public void CentreCropPadsSmallImagesWithZeros()
    {
        var image = ImageFixtures.Synthetic(2, 2);
        var options = new ImageTransformOptions { ResizeTo = 0, CropSize = 4, Mean = [0, 0, 0], Std = [1, 1, 1], PixelRange = 255 };
        var output = new ImageTransform(options).Apply(image, null, false, null);
        // The 2x2 image sits at offset (1, 1) of the 4x4 output; the border is zero.
        Assert.Equal(0, output[0]);
        Assert.Equal(image[0, 0, 0], output[1 * 4 + 1], 4);
        Assert.Equal(image[1, 1, 1], output[16 + 2 * 4 + 2], 4);
        Assert.Equal(0, output[16 + 3 * 4 + 3]);
    }

    [Fact]
    public void BoundingBoxCropKeepsExactlyTheBox()
    {
        var image = ImageFixtures.Synthetic(20, 16);
        var box = new BoundingBox(5, 3, 12, 10); // 7x7
        var options = new ImageTransformOptions { ResizeTo = 0, CropSize = 7, UseBoundingBox = true, Mean = [0, 0, 0], Std = [1, 1, 1], PixelRange = 255 };
        var output = new ImageTransform(options).Apply(image, box, false, null);
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 7; x++)
                Assert.Equal(image[x + 5, y + 3, 0], output[y * 7 + x], 4);

        var cropped = ImageTransform.CropToBox(image, new BoundingBox(-3, 14.6, 30, 40)); // clamped and rounded
        Assert.Equal((20, 1), (cropped.Width, cropped.Height));
        var ignored = new ImageTransform(options with { UseBoundingBox = false }).Apply(image, box, false, null);
        Assert.NotEqual(output, ignored);
    }

    [Fact]
    public void AugmentationIsDeterministicUnderASeedAndDiffersAcrossSeeds()
    {
        var transform = new ImageTransform(new ImageTransformOptions { ResizeTo = 20, CropSize = 12 });
        var a = transform.Apply(Colour, null, true, new SeededRandom(5));
        var b = transform.Apply(Colour, null, true, new SeededRandom(5));
        Assert.Equal(a, b);
        int distinct = Enumerable.Range(0, 8).Select(s => transform.Apply(Colour, null, true, new SeededRandom((ulong)s)))
            .Select(o => string.Join(",", o.Take(60))).Distinct().Count();
        Assert.True(distinct >= 7, $"only {distinct} distinct augmentations of 8 seeds");
        Assert.Throws<ArgumentNullException>(() => transform.Apply(Colour, null, true, null));
    }

    [Fact]
    public void FlipMirrorsTheCrop()
    {
        var image = ImageFixtures.Synthetic(12, 12);
        var baseOptions = new ImageTransformOptions { ResizeTo = 0, CropSize = 12, ScaleMin = 1, ScaleMax = 1, RatioMin = 1, RatioMax = 1, Mean = [0, 0, 0], Std = [1, 1, 1], PixelRange = 255 };
        var plain = new ImageTransform(baseOptions with { FlipProbability = 0 }).Apply(image, null, true, new SeededRandom(1));
        var flipped = new ImageTransform(baseOptions with { FlipProbability = 1 }).Apply(image, null, true, new SeededRandom(1));
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 12; x++)
            {
                Assert.Equal(image[x, y, 0], plain[y * 12 + x], 4); // full-area square crop of a square image: the image itself
                Assert.Equal(plain[y * 12 + x], flipped[y * 12 + 11 - x]);
            }
    }

    [Fact]
    public void RandomResizedCropBoxesRespectScaleAndRatio()
    {
        var random = new SeededRandom(9);
        for (int i = 0; i < 2000; i++)
        {
            var (top, left, h, w) = ImageTransform.RandomResizedCropBox(341, 256, 0.2, 1.0, 3.0 / 4, 4.0 / 3, random);
            Assert.InRange(top, 0, 256 - h);
            Assert.InRange(left, 0, 341 - w);
            double share = (double)w * h / (341 * 256);
            Assert.InRange(share, 0.19, 1.0);
            Assert.InRange((double)w / h, 0.74, 1.35);
        }
        // Impossible ranges fall back to the centre crop with the ratio clamped.
        var fallback = ImageTransform.RandomResizedCropBox(100, 10, 0.9, 1.0, 1.0, 1.0, new SeededRandom(1));
        Assert.Equal((0, 45, 10, 10), fallback);
    }

    [Fact]
    public void BgrOrderSwapsChannels()
    {
        var image = ImageFixtures.Synthetic(6, 6);
        var rgb = new ImageTransform(new ImageTransformOptions { ResizeTo = 0, CropSize = 6, Mean = [0, 0, 0], Std = [1, 1, 1] }).Apply(image, null, false, null);
        var bgr = new ImageTransform(new ImageTransformOptions { ResizeTo = 0, CropSize = 6, Mean = [0, 0, 0], Std = [1, 1, 1], ChannelOrder = ChannelOrder.Bgr }).Apply(image, null, false, null);
        Assert.Equal(rgb[..36], bgr[72..]);
        Assert.Equal(rgb[72..], bgr[..36]);
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= tolerance, $"largest difference {worst}");
    }
}
