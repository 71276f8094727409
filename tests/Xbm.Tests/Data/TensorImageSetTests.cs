using System.Diagnostics;
using TorchSharp;
using Xbm.Data;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Data;

public class TensorImageSetTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly PixelNormalization Norm = PixelNormalization.FashionMnist;

    /// <summary>The fixture's training-file images as a set (1200 × 1 × 28 × 28).</summary>
    private static TensorImageSet FixtureSet(TensorAugmentation augmentation)
    {
        IdxArray images = IdxFile.ReadImages(Path.Combine(FashionFixture.Root, "train-images-idx3-ubyte.gz"));
        IdxArray labels = IdxFile.ReadLabels(Path.Combine(FashionFixture.Root, "train-labels-idx1-ubyte.gz"));
        using var scope = NewDisposeScope();
        var tensor = empty(new long[] { images.Dimensions[0], 1, 28, 28 }, ScalarType.Byte);
        images.Data.CopyTo(tensor.bytes);
        return new TensorImageSet(tensor, labels.Data.Select(b => (long)b).ToArray(), Norm, augmentation);
    }

    /// <summary>A data-parallel rank's slice (docs/design.md §10) renders its entries exactly as the whole batch does.</summary>
    [Fact]
    public void SlicesEqualTheWholeBatchsEntries()
    {
        using var set = FixtureSet(new TensorAugmentation());
        int[] positions = [3, 0, 7, 7, 12, 5, 1, 9, 2, 2, 11, 4];
        using var whole = set.Load(positions, augment: true, seed: 42);
        foreach (var (first, count) in new[] { (0, 6), (6, 6), (4, 4), (11, 1) })
        {
            using var slice = set.LoadSlice(positions, first, count, augment: true, seed: 42);
            Assert.True(slice.equal(whole.narrow(0, first, count)).all().item<bool>(), $"entries {first}..{first + count - 1}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => set.LoadSlice(positions, 8, 5, augment: true, seed: 42));
    }

    /// <summary>Independent reference: torch ops on the uint8 images (gather, scale, normalise).</summary>
    private static Tensor Plain(TensorImageSet set, int[] positions)
    {
        using var index = tensor(positions.Select(p => (long)p).ToArray(), ScalarType.Int64);
        return Normalised(set.Images.index_select(0, index).to_type(ScalarType.Float32));
    }

    /// <summary>(pixels / 255 − mean) / std, in float32 like the images.</summary>
    private static Tensor Normalised(Tensor pixels)
    {
        using var maximum = 255f.ToScalar();
        using var mean = Norm.Mean[0].ToScalar();
        using var std = Norm.Std[0].ToScalar();
        return pixels.div(maximum).sub(mean).div(std);
    }

    /// <summary>Independent reference of one crop/flip: zero-pad by 2 with torch's pad, take the window, flip with torch.flip.</summary>
    private static Tensor Reference(TensorImageSet set, int position, CropFlip crop)
    {
        const int pad = 2;
        var raw = set.Images[position].to_type(ScalarType.Float32).unsqueeze(0); // 1×1×28×28
        var padded = nn.functional.pad(raw, new long[] { pad, pad, pad, pad }, TorchSharp.PaddingModes.Constant, 0);
        var window = padded[.., .., (crop.ShiftY + pad)..(crop.ShiftY + pad + 28), (crop.ShiftX + pad)..(crop.ShiftX + pad + 28)];
        if (crop.Flip)
            window = window.flip(3);
        return Normalised(window);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void PlainLoadIsFloat32NormalisedImagesOfTheRightShape()
    {
        using var set = FixtureSet(new TensorAugmentation());
        using var scope = NewDisposeScope();
        int[] positions = [5, 0, 1199, 5, 600];
        var batch = set.Load(positions, augment: false, seed: 123);
        Assert.Equal(ScalarType.Float32, batch.dtype);
        Assert.Equal(new long[] { 5, 1, 28, 28 }, batch.shape);
        Assert.True(batch.allclose(Plain(set, positions), rtol: 0, atol: 1e-6), "plain preprocessing differs from (x/255 - mean)/std");
        // A black pixel maps to -mean/std, a white one to (1 - mean)/std.
        Assert.Equal(-0.2860 / 0.3530, batch.min().item<float>(), 5);
        Assert.Equal((1 - 0.2860) / 0.3530, batch.max().item<float>(), 5);
        Assert.Equal(new[] { 9L, 9L }, new[] { set.Labels[0], FashionFixture.Part("train").GetProperty("first_label").GetInt64() });
    }

    [Fact]
    public void NormalisationOfTheFixtureMatchesTheConstantsRoughly()
    {
        // The constants come from the full training file (0.2860, 0.3530, recorded by the fixture script);
        // the 1,200-image subset should be close to them.
        Assert.Equal(0.2860, FashionFixture.FullTrainFile.GetProperty("pixel_mean").GetDouble(), 4);
        Assert.Equal(0.3530, FashionFixture.FullTrainFile.GetProperty("pixel_std").GetDouble(), 4);
        using var set = FixtureSet(new TensorAugmentation());
        using var scope = NewDisposeScope();
        var all = set.Load(Enumerable.Range(0, set.Count).ToArray(), false, 0);
        Assert.InRange(all.mean().item<float>(), -0.1, 0.1);
        Assert.InRange(all.std().item<float>(), 0.9, 1.1);
    }

    [Fact]
    public void SameSeedGivesTheSameBatchAndAnotherSeedAnotherOne()
    {
        using var set = FixtureSet(new TensorAugmentation { CropPadding = 2, HorizontalFlip = true });
        using var scope = NewDisposeScope();
        int[] positions = Enumerable.Range(0, 64).Select(i => i * 7).ToArray();
        var a = set.Load(positions, true, 42);
        var b = set.Load(positions, true, 42);
        var c = set.Load(positions, true, 43);
        Assert.True(Same(a, b));
        Assert.False(Same(a, c));
        Assert.False(Same(a, Plain(set, positions)));
        // Without augmentation the seed is irrelevant.
        Assert.True(Same(set.Load(positions, false, 1), set.Load(positions, false, 2)));
    }

    [Fact]
    public void ImageRandomnessDependsOnlyOnSeedAndPositionInBatch()
    {
        using var set = FixtureSet(new TensorAugmentation { CropPadding = 2, HorizontalFlip = true });
        using var scope = NewDisposeScope();
        var first = set.Load([10, 20, 30], true, 7);
        var second = set.Load([11, 20, 31, 40], true, 7);
        Assert.True(Same(first[1], second[1]));
        // The drawn parameters are exactly those of a generator derived from (seed, r).
        for (int r = 0; r < 3; r++)
        {
            CropFlip crop = set.Augmentation.Draw(SeededRandom.Derive(7, (ulong)r));
            Assert.True(first[r].unsqueeze(0).allclose(Reference(set, new[] { 10, 20, 30 }[r], crop), rtol: 0, atol: 1e-6), $"image {r}");
        }
    }

    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(2, -1, false)]
    [InlineData(-2, 2, false)]
    [InlineData(1, 0, true)]
    [InlineData(-2, -2, true)]
    [InlineData(0, 0, true)]
    public void CropAndFlipMatchPadWindowAndFlipInTorch(int shiftY, int shiftX, bool flip)
    {
        using var set = FixtureSet(new TensorAugmentation());
        using var scope = NewDisposeScope();
        var crop = new CropFlip(shiftY, shiftX, flip);
        var rendered = set.Render([3, 77], [crop, crop]);
        Assert.True(rendered[0].unsqueeze(0).allclose(Reference(set, 3, crop), rtol: 0, atol: 1e-6));
        Assert.True(rendered[1].unsqueeze(0).allclose(Reference(set, 77, crop), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void PaddingZeroAndNoFlipEqualsThePlainPreprocessing()
    {
        using var set = FixtureSet(new TensorAugmentation { CropPadding = 0, HorizontalFlip = false });
        using var scope = NewDisposeScope();
        int[] positions = Enumerable.Range(100, 80).ToArray();
        Assert.True(Same(set.Load(positions, true, 99), set.Load(positions, false, 0)));
    }

    [Fact]
    public void DrawnShiftsCoverThePaddingAndFlipOnlyWhenEnabled()
    {
        var withFlip = new TensorAugmentation { CropPadding = 2, HorizontalFlip = true };
        var noFlip = new TensorAugmentation { CropPadding = 2 };
        var shifts = new HashSet<(int, int)>();
        int flips = 0;
        for (ulong r = 0; r < 2000; r++)
        {
            CropFlip crop = withFlip.Draw(SeededRandom.Derive(5, r));
            Assert.InRange(crop.ShiftY, -2, 2);
            Assert.InRange(crop.ShiftX, -2, 2);
            shifts.Add((crop.ShiftY, crop.ShiftX));
            flips += crop.Flip ? 1 : 0;
            Assert.False(noFlip.Draw(SeededRandom.Derive(5, r)).Flip);
        }
        Assert.Equal(25, shifts.Count);
        Assert.InRange(flips, 900, 1100);
    }

    [Fact]
    public void LoadingABatchOf80TakesWellUnderAMillisecondPerImage()
    {
        using var set = FixtureSet(new TensorAugmentation { CropPadding = 2, HorizontalFlip = true });
        int[] positions = Enumerable.Range(0, 80).Select(i => i * 13 % set.Count).ToArray();
        for (int i = 0; i < 5; i++)
        {
            using var warm = set.Load(positions, true, (ulong)i);
        }
        const int rounds = 50;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++)
        {
            using var batch = set.Load(positions, true, (ulong)i);
        }
        double perImageMs = watch.Elapsed.TotalMilliseconds / (rounds * positions.Length);
        output.WriteLine($"augmented batch of 80: {perImageMs * 1000:F2} µs per image");
        Assert.True(perImageMs < 0.25, $"{perImageMs:F4} ms per image");
    }

    [Fact]
    public void BadPositionsAndShapesAreClearErrors()
    {
        using var set = FixtureSet(new TensorAugmentation());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => set.Load([0, 1200], false, 0));
        Assert.Contains("position 1200 (batch entry 1) is outside the set's 1200 images", error.Message);
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new TensorImageSet(zeros(2, 1, 4, 4), [0L, 1L], Norm));
        Assert.Throws<ArgumentException>(() => new TensorImageSet(zeros(new long[] { 2, 1, 4, 4 }, ScalarType.Byte), [0L], Norm));
        Assert.Throws<ArgumentException>(() => new TensorImageSet(zeros(new long[] { 2, 3, 4, 4 }, ScalarType.Byte), [0L, 1L], Norm));
        using var empty = set.Load([], true, 0);
        Assert.Equal(new long[] { 0, 1, 28, 28 }, empty.shape);
    }

    [Fact]
    public void SubsetCopiesImagesAndLabels()
    {
        using var set = FixtureSet(new TensorAugmentation());
        using var subset = set.Subset([4, 2, 9]);
        Assert.Equal(new[] { set.Labels[4], set.Labels[2], set.Labels[9] }, subset.Labels);
        using var scope = NewDisposeScope();
        Assert.True(Same(subset.Load([0, 1, 2], false, 0), set.Load([4, 2, 9], false, 0)));
    }
}
