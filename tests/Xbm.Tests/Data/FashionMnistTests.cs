using TorchSharp;
using Xbm.Configuration;
using Xbm.Data;
using static TorchSharp.torch;

namespace Xbm.Tests.Data;

public class FashionMnistTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static FashionMnistOptions Fixture => new() { Root = FashionFixture.Root };

    private static TensorImageSet Set(IImageSet set) => Assert.IsType<TensorImageSet>(set);

    private static long PixelSum(TensorImageSet set)
    {
        using var scope = NewDisposeScope();
        return set.Images.to_type(ScalarType.Int64).sum().item<long>();
    }

    [Fact]
    public void ZeroShotSplitTakesClasses0To4ForTrainingAnd5To9ForTestingFromBothFiles()
    {
        DatasetSplits splits = FashionMnist.LoadSplits(Fixture);
        var train = Set(splits.Train);
        var test = Set(Assert.Single(splits.Test).Queries);

        Assert.Equal("fashion_mnist", splits.Name);
        Assert.Null(splits.Validation);
        Assert.Equal("test", splits.Test[0].Name);
        Assert.Null(splits.Test[0].Gallery);
        Assert.Equal(new[] { 1, 2, 4, 8 }, splits.Test[0].RecallAt);

        Assert.All(train.Labels, l => Assert.InRange(l, 0, 4));
        Assert.All(test.Labels, l => Assert.InRange(l, 5, 9));
        // Nothing lost: every class keeps all its images of both files (120 + 30 in the fixture).
        for (int c = 0; c < 5; c++)
            Assert.Equal(FashionFixture.PerClass, train.Labels.Count(l => l == c));
        for (int c = 5; c < 10; c++)
            Assert.Equal(FashionFixture.PerClass, test.Labels.Count(l => l == c));
        Assert.Equal(new long[] { train.Count, 1, 28, 28 }, train.Images.shape);
        long total = FashionFixture.Part("train").GetProperty("pixel_sum").GetInt64() + FashionFixture.Part("t10k").GetProperty("pixel_sum").GetInt64();
        Assert.Equal(total, PixelSum(train) + PixelSum(test));
        Assert.Equal(2, train.Augmentation.CropPadding);
        Assert.False(train.Augmentation.HorizontalFlip);
        Assert.Equal(0, test.Augmentation.CropPadding);
    }

    [Fact]
    public void SplitImagesAreTheFileImagesInFileOrder()
    {
        FashionMnistData data = FashionMnist.Read(FashionFixture.Root);
        Assert.Equal(1200, data.TrainFileCount);
        Assert.Equal(1500, data.Count);
        int[] expected = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] < 5).ToArray();
        var train = Set(FashionMnist.LoadSplits(Fixture).Train);
        byte[] pixels = train.Images.bytes.ToArray();
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(data.Labels[expected[r]], train.Labels[r]);
            Assert.True(data.Images.AsSpan(expected[r] * 784, 784).SequenceEqual(pixels.AsSpan(r * 784, 784)), $"image {r}");
        }
    }

    [Fact]
    public void ValidationClassIsCarvedFromTheTrainingClasses()
    {
        DatasetSplits splits = FashionMnist.LoadSplits(Fixture with { ValidationClasses = [4] });
        EvaluationSet validation = Assert.IsType<EvaluationSet>(splits.Validation);
        Assert.Equal("validation", validation.Name);
        Assert.Null(validation.Gallery);
        Assert.All(splits.Train.Labels, l => Assert.InRange(l, 0, 3));
        Assert.Equal(4 * FashionFixture.PerClass, splits.Train.Count);
        Assert.All(validation.Queries.Labels, l => Assert.Equal(4, l));
        Assert.Equal(FashionFixture.PerClass, validation.Queries.Count);
        Assert.Equal(5 * FashionFixture.PerClass, splits.Test[0].Queries.Count);
    }

    [Fact]
    public void ValidationFractionPicksSeededTrainingClasses()
    {
        var options = Fixture with { ValidationFraction = 0.4, Seed = 3 };
        IReadOnlyList<long> picked = FashionMnist.ValidationClasses(options);
        Assert.Equal(2, picked.Count);
        Assert.All(picked, c => Assert.InRange(c, 0, 4));
        Assert.Equal(picked, FashionMnist.ValidationClasses(options));
        var seen = Enumerable.Range(0, 20).Select(s => string.Join(",", FashionMnist.ValidationClasses(options with { Seed = (ulong)s }))).Distinct().Count();
        Assert.True(seen > 3, $"only {seen} different class pairs over 20 seeds");

        DatasetSplits splits = FashionMnist.LoadSplits(options);
        var validationLabels = splits.Validation!.Queries.Labels.Distinct().Order().ToArray();
        Assert.Equal(picked, validationLabels);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, splits.Train.Labels.Distinct().Concat(validationLabels).Order().ToArray());
    }

    [Fact]
    public void MaxPerClassKeepsASeededSubsetOfEveryClass()
    {
        DatasetSplits a = FashionMnist.LoadSplits(Fixture with { MaxPerClass = 20, Seed = 1 });
        DatasetSplits b = FashionMnist.LoadSplits(Fixture with { MaxPerClass = 20, Seed = 1 });
        DatasetSplits c = FashionMnist.LoadSplits(Fixture with { MaxPerClass = 20, Seed = 2 });
        for (int label = 0; label < 5; label++)
            Assert.Equal(20, a.Train.Labels.Count(l => l == label));
        for (int label = 5; label < 10; label++)
            Assert.Equal(20, a.Test[0].Queries.Labels.Count(l => l == label));
        byte[] pa = Set(a.Train).Images.bytes.ToArray(), pb = Set(b.Train).Images.bytes.ToArray(), pc = Set(c.Train).Images.bytes.ToArray();
        Assert.Equal(pa, pb);
        Assert.NotEqual(pa, pc);
    }

    [Fact]
    public void UncompressedFilesAreAccepted()
    {
        using var temp = new FashionFixture.TempFolder();
        foreach (string name in FashionMnist.FileNames)
            File.WriteAllBytes(temp.File(name), FashionFixture.Decompressed(name));
        DatasetSplits plain = FashionMnist.LoadSplits(new FashionMnistOptions { Root = temp.Path });
        DatasetSplits gzip = FashionMnist.LoadSplits(Fixture);
        Assert.Equal(gzip.Train.Labels, plain.Train.Labels);
        Assert.Equal(Set(gzip.Train).Images.bytes.ToArray(), Set(plain.Train).Images.bytes.ToArray());
    }

    [Fact]
    public void MissingFolderSaysWhatToRun()
    {
        string root = Path.Combine(Path.GetTempPath(), "xbm-no-fashion-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadSplits(new FashionMnistOptions { Root = root }));
        Assert.Contains(root, error.Message);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", error.Message);
        Assert.Contains("--set data.root=DIR", error.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var temp = new FashionFixture.TempFolder();
        foreach (string name in FashionMnist.FileNames.Where(n => !n.StartsWith("t10k-labels", StringComparison.Ordinal)))
            File.Copy(Path.Combine(FashionFixture.Root, name + ".gz"), temp.File(name + ".gz"));
        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.Read(temp.Path));
        Assert.Contains("missing t10k-labels-idx1-ubyte[.gz]", error.Message);
        Assert.Contains(temp.Path, error.Message);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", error.Message);
    }

    [Fact]
    public void TruncatedAndMismatchedFilesAreNamed()
    {
        using var temp = new FashionFixture.TempFolder();
        foreach (string name in FashionMnist.FileNames)
            File.Copy(Path.Combine(FashionFixture.Root, name + ".gz"), temp.File(name + ".gz"));
        // Labels of the training file paired with the test file's images: counts differ.
        File.Copy(temp.File("train-labels-idx1-ubyte.gz"), temp.File("t10k-labels-idx1-ubyte.gz"), overwrite: true);
        var mismatch = Assert.Throws<InvalidDataException>(() => FashionMnist.Read(temp.Path));
        Assert.Equal($"{temp.File("t10k-images-idx3-ubyte.gz")} holds 300 images but {temp.File("t10k-labels-idx1-ubyte.gz")} holds 1200 labels", mismatch.Message);

        string images = temp.File("train-images-idx3-ubyte.gz");
        byte[] raw = FashionFixture.Decompressed("train-images-idx3-ubyte");
        FashionFixture.WriteGzip(images, raw[..^100]);
        var truncated = Assert.Throws<InvalidDataException>(() => FashionMnist.Read(temp.Path));
        Assert.Equal($"{images}: truncated: header promises 1200×28×28 bytes, found {1200 * 784 - 100}", truncated.Message);
    }

    [Fact]
    public void FromSectionReadsEveryKeyAndRejectsUnknownOnes()
    {
        var values = new Dictionary<string, object?>
        {
            ["name"] = "fashion_mnist",
            ["root"] = "/data/fm",
            ["max_per_class"] = "50",
            ["validation_classes"] = new List<object?> { "4" },
            ["seed"] = "9",
            ["augmentation"] = new Dictionary<string, object?> { ["crop_padding"] = "3", ["flip"] = "true" },
        };
        FashionMnistOptions options = FashionMnist.FromSection(new ConfigSection(values, "demo.yaml", "data"));
        Assert.Equal("/data/fm", options.Root);
        Assert.Equal(50, options.MaxPerClass);
        Assert.Equal(new long[] { 4 }, options.ValidationClasses);
        Assert.Equal(9UL, options.Seed);
        Assert.Equal(3, options.Augmentation.CropPadding);
        Assert.True(options.Augmentation.HorizontalFlip);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, options.TrainClasses);

        FashionMnistOptions defaults = FashionMnist.FromSection(ConfigSection.Empty("demo.yaml", "data"));
        Assert.Equal(FashionMnist.DefaultRoot, defaults.Root);
        Assert.Null(defaults.MaxPerClass);
        Assert.Empty(defaults.ValidationClasses);
        Assert.Equal(2, defaults.Augmentation.CropPadding);
        Assert.False(defaults.Augmentation.HorizontalFlip);

        var unknown = Assert.Throws<ConfigException>(() => FashionMnist.FromSection(new ConfigSection(
            new Dictionary<string, object?> { ["augmentation"] = new Dictionary<string, object?> { ["flips"] = "true" } }, "demo.yaml", "data")));
        Assert.Equal("demo.yaml: data.augmentation.flips: unknown key (did you mean flip?)", unknown.Message);
        var misspelt = Assert.Throws<ConfigException>(() => FashionMnist.FromSection(new ConfigSection(
            new Dictionary<string, object?> { ["max_per_klass"] = "5" }, "demo.yaml", "data")));
        Assert.Equal("demo.yaml: data.max_per_klass: unknown key (did you mean max_per_class?)", misspelt.Message);
        var notTrain = Assert.Throws<ConfigException>(() => FashionMnist.FromSection(new ConfigSection(
            new Dictionary<string, object?> { ["validation_classes"] = "7" }, "demo.yaml", "data")));
        Assert.StartsWith("demo.yaml: data.validation_classes: class 7 is not a training class", notTrain.Message);
        var overlap = Assert.Throws<ConfigException>(() => FashionMnist.FromSection(new ConfigSection(
            new Dictionary<string, object?> { ["test_classes"] = "4,5" }, "demo.yaml", "data")));
        Assert.StartsWith("demo.yaml: data.test_classes: class 4 is also a training class", overlap.Message);
        var zero = Assert.Throws<ConfigException>(() => FashionMnist.FromSection(new ConfigSection(
            new Dictionary<string, object?> { ["max_per_class"] = "0" }, "demo.yaml", "data")));
        Assert.StartsWith("demo.yaml: data.max_per_class: 0 is out of range", zero.Message);
    }

    [Fact]
    public void InstalledDatasetHas35000ImagesPerSplit()
    {
        // Checks the Debian package's layout where it is installed (the CI installs it); the fixture tests above
        // cover the same code without it.
        if (!File.Exists(Path.Combine(FashionMnist.DefaultRoot, "train-images-idx3-ubyte.gz"))
            && !File.Exists(Path.Combine(FashionMnist.DefaultRoot, "train-images-idx3-ubyte")))
            return;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        DatasetSplits splits = FashionMnist.LoadSplits(new FashionMnistOptions());
        output.WriteLine($"loaded the installed Fashion-MNIST splits in {watch.ElapsedMilliseconds} ms");
        Assert.Equal(35000, splits.Train.Count);
        Assert.Equal(35000, splits.Test[0].Queries.Count);
        for (int c = 0; c < 5; c++)
            Assert.Equal(7000, splits.Train.Labels.Count(l => l == c));
        // Mean and standard deviation of the training split's pixels, as recorded by the fixture script.
        using var scope = NewDisposeScope();
        using var maximum = 255.0.ToScalar();
        var pixels = Set(splits.Train).Images.to_type(ScalarType.Float64).div(maximum);
        Assert.Equal(FashionFixture.ZeroShotTrainSplit.GetProperty("pixel_mean").GetDouble(), pixels.mean().item<double>(), 6);
        Assert.Equal(FashionFixture.ZeroShotTrainSplit.GetProperty("pixel_std").GetDouble(), pixels.std(unbiased: false).item<double>(), 6);
    }
}
