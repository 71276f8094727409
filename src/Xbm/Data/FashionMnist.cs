using Xbm.Configuration;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 70,000 grey 28×28 images of 10 clothing classes in four IDX
/// files. The zero-shot split (docs/design.md §8) pools the official training and test files and splits by
/// class: classes 0–4 for training, 5–9 for testing (7,000 images per class, so 35,000 each). A validation
/// split can be carved from the training classes.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package dataset-fashion-mnist installs the files.</summary>
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>Dataset name used in splits, logs and reports.</summary>
    public const string Name = "fashion_mnist";

    /// <summary>Image side in pixels.</summary>
    public const int Side = 28;

    /// <summary>The K values of Recall@K reported for this dataset.</summary>
    public static IReadOnlyList<int> RecallAt { get; } = [1, 2, 4, 8];

    /// <summary>Class names by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The official file names (without ".gz"): training images, training labels, test images, test labels.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>
    /// Finds the four files in <paramref name="root"/>, each as NAME.gz or NAME. Throws a
    /// <see cref="FileNotFoundException"/> naming what is missing and what to run when the folder or a file is absent.
    /// </summary>
    public static FashionMnistFiles Locate(string root)
    {
        string fix = $"Install it with `sudo apt-get install dataset-fashion-mnist` (files in {DefaultRoot}), "
                     + "or pass --set data.root=DIR for a folder holding the four IDX files (.gz or uncompressed).";
        if (!Directory.Exists(root))
            throw new FileNotFoundException($"Fashion-MNIST not found: the folder {root} does not exist. {fix}", root);
        var found = new string[FileNames.Count];
        var missing = new List<string>();
        for (int i = 0; i < FileNames.Count; i++)
        {
            string plain = Path.Combine(root, FileNames[i]);
            found[i] = File.Exists(plain + ".gz") ? plain + ".gz" : plain;
            if (!File.Exists(found[i]))
                missing.Add(FileNames[i] + "[.gz]");
        }
        if (missing.Count > 0)
            throw new FileNotFoundException($"Fashion-MNIST incomplete in {root}: missing {string.Join(", ", missing)}. {fix}",
                Path.Combine(root, missing[0].Replace("[.gz]", "", StringComparison.Ordinal)));
        return new FashionMnistFiles(found[0], found[1], found[2], found[3]);
    }

    /// <summary>
    /// Reads both files of <paramref name="root"/> into memory: the training file's images first, then the
    /// test file's, with their labels, validated (28×28 images, as many labels as images, labels 0–9).
    /// </summary>
    public static FashionMnistData Read(string root)
    {
        FashionMnistFiles files = Locate(root);
        var (trainImages, trainLabels) = ReadPair(files.TrainImages, files.TrainLabels);
        var (testImages, testLabels) = ReadPair(files.TestImages, files.TestLabels);
        var images = new byte[trainImages.Length + testImages.Length];
        trainImages.CopyTo(images, 0);
        testImages.CopyTo(images, trainImages.Length);
        long[] labels = [.. trainLabels, .. testLabels];
        return new FashionMnistData(files, images, labels, trainLabels.Length);
    }

    /// <summary>
    /// Loads the zero-shot splits: Train = images of the training classes (minus validation classes) from both
    /// files, Validation = images of the validation classes (or null), Test = one protocol "test" over the
    /// test classes (queries against themselves, Recall@1, 2, 4, 8). Images keep file order (training file
    /// first) and their original labels.
    /// </summary>
    public static DatasetSplits LoadSplits(FashionMnistOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        FashionMnistData data = Read(options.Root);
        if (options.Classification)
            return ClassificationSplits(data, options);

        IReadOnlyList<long> validation = ValidationClasses(options);
        long[] train = options.TrainClasses.Except(validation).ToArray();

        TensorImageSet trainSet = Build(data, train, options, options.Augmentation, keepFraction: true);
        TensorImageSet testSet = Build(data, options.TestClasses, options, TensorAugmentation.None);
        EvaluationSet? validationSet = validation.Count == 0
            ? null
            : new EvaluationSet("validation", Build(data, validation, options, TensorAugmentation.None), null, RecallAt);
        return new DatasetSplits(Name, trainSet, validationSet, [new EvaluationSet("test", testSet, null, RecallAt)])
        {
            ClassNames = ClassNames.Select((name, label) => (name, label)).ToDictionary(p => (long)p.label, p => p.name),
        };
    }

    /// <summary>
    /// The classification split: Train = the official training file's images of the training classes (the share
    /// <see cref="FashionMnistOptions.TrainFraction"/> of them), Validation (with
    /// <see cref="FashionMnistOptions.ValidationFraction"/>) = a further stratified share of the training file's
    /// images of the same classes, held out of training (<see cref="StratifiedFraction.Split"/>), Test = the official
    /// test file's images of the same classes, one protocol "test" (its retrieval metrics are not zero-shot).
    /// </summary>
    private static DatasetSplits ClassificationSplits(FashionMnistData data, FashionMnistOptions options)
    {
        var pool = Positions(data, options.TrainClasses, options, p => p < data.TrainFileCount);
        EvaluationSet? validationSet = null;
        TensorImageSet trainSet;
        if (options.ValidationFraction is double held)
        {
            var (train, validation) = StratifiedFraction.Split(pool.Select(p => data.Labels[p]).ToArray(), options.TrainFraction, held, options.Seed);
            trainSet = Build(data, train.Select(k => pool[k]).ToList(), options, options.Augmentation);
            validationSet = new EvaluationSet("validation", Build(data, validation.Select(k => pool[k]).ToList(), options, TensorAugmentation.None), null, RecallAt);
        }
        else
            trainSet = Build(data, options.TrainClasses, options, options.Augmentation, p => p < data.TrainFileCount, keepFraction: true);
        TensorImageSet testSet = Build(data, options.TrainClasses, options, TensorAugmentation.None, p => p >= data.TrainFileCount);
        return new DatasetSplits(Name, trainSet, validationSet, [new EvaluationSet("test", testSet, null, RecallAt)])
        {
            ClassNames = ClassNames.Select((name, label) => (name, label)).ToDictionary(p => (long)p.label, p => p.name),
        };
    }

    /// <summary>
    /// Reads the options from the configuration's data section. Keys: name (optional, "fashion_mnist"),
    /// protocol (zero_shot | classification), train_fraction, root, train_classes, test_classes, validation_classes (list), validation_fraction, max_per_class, seed,
    /// augmentation: {crop_padding (default 2), flip (default false)}. Unknown keys are errors.
    /// </summary>
    public static FashionMnistOptions FromSection(ConfigSection data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var defaults = new FashionMnistOptions();
        data.Choice("name", Name, Name);
        ConfigSection augmentation = data.Section("augmentation");
        long? maxPerClass = data.Has("max_per_class") && data.String("max_per_class", "") is not ("null" or "none" or "~")
            ? data.Long("max_per_class", 0, 1, int.MaxValue)
            : null;
        bool classification = data.Choice("protocol", "zero_shot", "zero_shot", "classification") == "classification";
        if (classification && data.Has("test_classes"))
            throw data.Error("test_classes", "protocol: classification tests on the training classes (set train_classes only)");
        var options = new FashionMnistOptions
        {
            Classification = classification,
            // With a validation share (classification), training defaults to the rest of the training file.
            TrainFraction = data.Double("train_fraction", classification && data.Has("validation_fraction") ? 1 - data.Double("validation_fraction", 0, 0, 1) : 1, min: 0, max: 1),
            Root = data.String("root", defaults.Root),
            TrainClasses = data.LongList("train_classes", classification ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : defaults.TrainClasses, 0),
            TestClasses = data.LongList("test_classes", defaults.TestClasses, 0),
            ValidationClasses = data.LongList("validation_classes", defaults.ValidationClasses, 0),
            ValidationFraction = data.OptionalDouble("validation_fraction", 0, 1),
            MaxPerClass = (int?)maxPerClass,
            Seed = (ulong)data.Long("seed", 0, 0),
            Augmentation = new TensorAugmentation
            {
                CropPadding = augmentation.Int("crop_padding", defaults.Augmentation.CropPadding, 0, Side),
                HorizontalFlip = augmentation.Bool("flip", defaults.Augmentation.HorizontalFlip),
            },
        };
        augmentation.EnsureAllUsed();
        data.EnsureAllUsed();
        foreach (var (key, message) in options.Problems())
            throw data.Error(key, message);
        return options;
    }

    /// <summary>The validation classes: the explicit list, or a seeded share of the training classes.</summary>
    public static IReadOnlyList<long> ValidationClasses(FashionMnistOptions options)
    {
        if (options.ValidationFraction is not double fraction)
            return options.ValidationClasses.Order().ToArray();
        int count = Math.Clamp((int)Math.Round(fraction * options.TrainClasses.Count, MidpointRounding.AwayFromZero), 1, options.TrainClasses.Count - 1);
        var classes = options.TrainClasses.Order().ToList();
        SeededRandom.Derive(options.Seed, 0xC1A55).Shuffle(classes);
        return classes.Take(count).Order().ToArray();
    }

    private static TensorImageSet Build(FashionMnistData data, IReadOnlyList<long> classes, FashionMnistOptions options, TensorAugmentation augmentation,
        Func<int, bool>? include = null, bool keepFraction = false)
    {
        var positions = Positions(data, classes, options, include);
        if (keepFraction && options.TrainFraction < 1)
        {
            int[] kept = StratifiedFraction.Keep(positions.Select(p => data.Labels[p]).ToArray(), options.TrainFraction, options.Seed);
            positions = kept.Select(k => positions[k]).ToList();
        }
        return Build(data, positions, options, augmentation);
    }

    /// <summary>The positions (file order) of the images of <paramref name="classes"/> that <paramref name="include"/> accepts, at most MaxPerClass per class.</summary>
    private static List<int> Positions(FashionMnistData data, IReadOnlyList<long> classes, FashionMnistOptions options, Func<int, bool>? include)
    {
        var positions = new List<int>();
        foreach (long c in classes.Order())
        {
            var ofClass = new List<int>();
            for (int i = 0; i < data.Labels.Length; i++)
                if (data.Labels[i] == c && (include is null || include(i)))
                    ofClass.Add(i);
            if (options.MaxPerClass is int max && ofClass.Count > max)
            {
                SeededRandom.Derive(options.Seed, 0x5EED00 + (ulong)c).Shuffle(ofClass);
                ofClass.RemoveRange(max, ofClass.Count - max);
            }
            positions.AddRange(ofClass);
        }
        positions.Sort(); // file order
        return positions;
    }

    private static TensorImageSet Build(FashionMnistData data, List<int> positions, FashionMnistOptions options, TensorAugmentation augmentation)
    {
        const int pixels = Side * Side;
        var bytes = new byte[positions.Count * pixels];
        for (int r = 0; r < positions.Count; r++)
            Buffer.BlockCopy(data.Images, positions[r] * pixels, bytes, r * pixels, pixels);
        long[] labels = positions.Select(p => data.Labels[p]).ToArray();

        using var scope = NewDisposeScope();
        var images = empty(new long[] { positions.Count, 1, Side, Side }, ScalarType.Byte);
        if (bytes.Length > 0)
            bytes.CopyTo(images.bytes);
        return new TensorImageSet(images, labels, options.Normalization, augmentation);
    }

    private static (byte[] Images, long[] Labels) ReadPair(string imagesPath, string labelsPath)
    {
        IdxArray images = IdxFile.ReadImages(imagesPath);
        IdxArray labels = IdxFile.ReadLabels(labelsPath);
        if (images.Dimensions[1] != Side || images.Dimensions[2] != Side)
            throw new InvalidDataException($"{imagesPath}: images are {images.Dimensions[1]}×{images.Dimensions[2]}, Fashion-MNIST's are {Side}×{Side}");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new InvalidDataException($"{imagesPath} holds {images.Dimensions[0]} images but {labelsPath} holds {labels.Dimensions[0]} labels");
        var result = new long[labels.Data.Length];
        for (int i = 0; i < result.Length; i++)
        {
            if (labels.Data[i] > 9)
                throw new InvalidDataException($"{labelsPath}: label {labels.Data[i]} at position {i} is not a Fashion-MNIST class (0–9)");
            result[i] = labels.Data[i];
        }
        return (images.Data, result);
    }
}

/// <summary>The four Fashion-MNIST files found in a folder.</summary>
/// <param name="TrainImages">Official training images.</param>
/// <param name="TrainLabels">Official training labels.</param>
/// <param name="TestImages">Official test images.</param>
/// <param name="TestLabels">Official test labels.</param>
public sealed record FashionMnistFiles(string TrainImages, string TrainLabels, string TestImages, string TestLabels);

/// <summary>All Fashion-MNIST images in memory: the training file's first, then the test file's.</summary>
/// <param name="Files">The files read.</param>
/// <param name="Images">N×28×28 pixels, row-major.</param>
/// <param name="Labels">N labels (0–9).</param>
/// <param name="TrainFileCount">How many of the N come from the official training file (the first ones).</param>
public sealed record FashionMnistData(FashionMnistFiles Files, byte[] Images, long[] Labels, int TrainFileCount)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;
}
