using System.Security.Cryptography;
using Xbm.Data;

namespace Xbm.Tests.Data;

public class IdxFileTests
{
    private static string FixtureFile(string name) => Path.Combine(FashionFixture.Root, name + ".gz");

    [Theory]
    [InlineData("train", "train")]
    [InlineData("t10k", "t10k")]
    public void ReadsTheFixtureImagesAndLabelsWithTheScriptsChecksums(string prefix, string part)
    {
        var expected = FashionFixture.Part(part);
        IdxArray images = IdxFile.ReadImages(FixtureFile($"{prefix}-images-idx3-ubyte"));
        IdxArray labels = IdxFile.ReadLabels(FixtureFile($"{prefix}-labels-idx1-ubyte"));

        int count = expected.GetProperty("count").GetInt32();
        Assert.Equal(new[] { count, 28, 28 }, images.Dimensions);
        Assert.Equal(new[] { count }, labels.Dimensions);
        Assert.Equal(expected.GetProperty("pixel_sum").GetInt64(), images.Data.Sum(b => (long)b));
        ulong weighted = 0;
        for (int i = 0; i < images.Data.Length; i++)
            weighted += images.Data[i] * (ulong)(i % 65521 + 1);
        Assert.Equal(expected.GetProperty("weighted_checksum").GetUInt64(), weighted % (1UL << 32));
        Assert.Equal(expected.GetProperty("first_image_pixel_sum").GetInt64(), images.Data.Take(784).Sum(b => (long)b));
        Assert.Equal(expected.GetProperty("images_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(images.Data)));
        Assert.Equal(expected.GetProperty("labels_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(labels.Data)));
        int[] classCounts = expected.GetProperty("class_counts").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(classCounts, Enumerable.Range(0, 10).Select(c => labels.Data.Count(l => l == c)).ToArray());
        Assert.Equal(expected.GetProperty("first_label").GetInt32(), labels.Data[0]);
    }

    [Fact]
    public void ReadsUncompressedFilesLikeCompressedOnes()
    {
        using var temp = new FashionFixture.TempFolder();
        string plain = temp.File("t10k-images-idx3-ubyte");
        File.WriteAllBytes(plain, FashionFixture.Decompressed("t10k-images-idx3-ubyte"));
        IdxArray fromPlain = IdxFile.ReadImages(plain);
        IdxArray fromGzip = IdxFile.ReadImages(FixtureFile("t10k-images-idx3-ubyte"));
        Assert.Equal(fromGzip.Dimensions, fromPlain.Dimensions);
        Assert.Equal(fromGzip.Data, fromPlain.Data);
    }

    [Fact]
    public void TruncatedPayloadNamesTheFileAndTheSizes()
    {
        using var temp = new FashionFixture.TempFolder();
        string path = temp.File("train-images-idx3-ubyte");
        File.WriteAllBytes(path, [.. FashionFixture.Header(IdxFile.ImagesMagic, 3, 28, 28), .. new byte[1234]]);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.Equal($"{path}: truncated: header promises 3×28×28 bytes, found 1234", error.Message);
    }

    [Fact]
    public void TruncatedGzipFileNamesTheFile()
    {
        using var temp = new FashionFixture.TempFolder();
        string path = temp.File("train-images-idx3-ubyte.gz");
        byte[] whole = File.ReadAllBytes(FixtureFile("train-images-idx3-ubyte"));
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.StartsWith($"{path}: ", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void TruncatedHeaderNamesTheFile()
    {
        using var temp = new FashionFixture.TempFolder();
        string path = temp.File("labels.gz");
        FashionFixture.WriteGzip(path, FashionFixture.Header(IdxFile.ImagesMagic, 10, 28)); // 3 dimensions declared, 2 given
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.Equal($"{path}: truncated: the header declares 3 dimensions (16 header bytes), found 12 bytes", error.Message);
    }

    [Fact]
    public void WrongMagicNamesTheFileAndBothNumbers()
    {
        // A label file where images are expected (the classic mix-up of the four names).
        string labels = FixtureFile("train-labels-idx1-ubyte");
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(labels));
        Assert.Equal($"{labels}: wrong magic number 0x00000801, expected 0x00000803 (uint8 images, 3 dimensions)", error.Message);

        using var temp = new FashionFixture.TempFolder();
        string text = temp.File("train-images-idx3-ubyte");
        File.WriteAllText(text, "<html>404 not found</html>");
        var notIdx = Assert.Throws<InvalidDataException>(() => IdxFile.Read(text));
        Assert.StartsWith($"{text}: wrong magic number 0x3C68746D", notIdx.Message);
    }

    [Fact]
    public void UnsupportedTypeAndTrailingBytesAreErrors()
    {
        using var temp = new FashionFixture.TempFolder();
        string floats = temp.File("floats-idx1");
        File.WriteAllBytes(floats, [.. FashionFixture.Header(0x00000D01, 2), .. new byte[8]]);
        var type = Assert.Throws<InvalidDataException>(() => IdxFile.Read(floats));
        Assert.Equal($"{floats}: unsupported IDX data type 0x0D (only unsigned byte, 0x08, is supported)", type.Message);

        string longer = temp.File("labels-idx1");
        File.WriteAllBytes(longer, [.. FashionFixture.Header(IdxFile.LabelsMagic, 5), .. new byte[7]]);
        var trailing = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(longer));
        Assert.Equal($"{longer}: 2 trailing bytes: header promises 5 bytes, found 7", trailing.Message);

        string exact = temp.File("ok-idx1");
        File.WriteAllBytes(exact, [.. FashionFixture.Header(IdxFile.LabelsMagic, 3), 7, 8, 9]);
        Assert.Equal(new byte[] { 7, 8, 9 }, IdxFile.ReadLabels(exact).Data);
    }

    [Fact]
    public void MissingFileIsFileNotFoundNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "xbm-no-such-dir", "train-images-idx3-ubyte.gz");
        var error = Assert.Throws<FileNotFoundException>(() => IdxFile.ReadImages(path));
        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }
}
