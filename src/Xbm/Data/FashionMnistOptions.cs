namespace Xbm.Data;

/// <summary>
/// Options of the Fashion-MNIST zero-shot dataset (docs/design.md §8). Defaults: classes 0–4 train, 5–9 test,
/// images of both taken from the official training and test files; no validation split.
/// </summary>
public sealed record FashionMnistOptions
{
    /// <summary>Folder with the four IDX files (gzip-compressed or not). Default: where the Debian package dataset-fashion-mnist installs them.</summary>
    public string Root { get; init; } = FashionMnist.DefaultRoot;

    /// <summary>Classes used for training (and for the validation split carved from them).</summary>
    public IReadOnlyList<long> TrainClasses { get; init; } = [0, 1, 2, 3, 4];

    /// <summary>Classes of the test split (unseen in training).</summary>
    public IReadOnlyList<long> TestClasses { get; init; } = [5, 6, 7, 8, 9];

    /// <summary>Training classes held out as the validation split (e.g. [4]); empty = none (unless <see cref="ValidationFraction"/> is set).</summary>
    public IReadOnlyList<long> ValidationClasses { get; init; } = [];

    /// <summary>
    /// Alternative to <see cref="ValidationClasses"/>: hold out this share of the training classes (rounded,
    /// at least one, at least one left for training), chosen with <see cref="Seed"/>. With
    /// <see cref="Classification"/>, this share of each training class's images in the training file instead
    /// (the classes stay the same; <see cref="TrainFraction"/> + this ≤ 1). Null = not used.
    /// </summary>
    public double? ValidationFraction { get; init; }

    /// <summary>
    /// The split: zero-shot (default; classes split, images from both files) or classification (the training
    /// classes, all ten by default, trained on the official training file and tested on the official test file).
    /// </summary>
    public bool Classification { get; init; }

    /// <summary>Share of the training images kept, stratified per class and seeded with <see cref="Seed"/> (1 = all).</summary>
    public double TrainFraction { get; init; } = 1;

    /// <summary>Keep at most this many images per class in every split (a seeded subset, for quick runs); null = all.</summary>
    public int? MaxPerClass { get; init; }

    /// <summary>
    /// Seed of the data selection (<see cref="MaxPerClass"/>, <see cref="ValidationFraction"/>); independent of
    /// the training seed, so runs with different training seeds see the same data.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Training augmentation (random crop with zero padding 2, no flip by default).</summary>
    public TensorAugmentation Augmentation { get; init; } = new();

    /// <summary>Per-channel normalisation (default: Fashion-MNIST's mean 0.2860, std 0.3530).</summary>
    public PixelNormalization Normalization { get; init; } = PixelNormalization.FashionMnist;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        foreach (var (key, message) in Problems())
            throw new ArgumentException($"{key}: {message}");
    }

    /// <summary>The invalid options, each as (config key, what is wrong).</summary>
    internal IEnumerable<(string Key, string Message)> Problems()
    {
        if (string.IsNullOrWhiteSpace(Root))
            yield return ("root", "is empty");
        foreach (var (key, classes) in new[] { ("train_classes", TrainClasses), ("test_classes", TestClasses), ("validation_classes", ValidationClasses) })
        {
            foreach (long c in classes)
                if (c is < 0 or > 9)
                    yield return (key, $"class {c} is not a Fashion-MNIST class (0–9)");
            var duplicate = classes.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
                yield return (key, $"class {duplicate.Key} is listed twice");
        }
        if (TrainClasses.Count == 0)
            yield return ("train_classes", "is empty");
        if (TestClasses.Count == 0)
            yield return ("test_classes", "is empty");
        var overlap = TrainClasses.Intersect(TestClasses).ToArray();
        if (Classification && ValidationClasses.Count > 0)
            yield return ("validation_classes", "protocol: classification validates on held-out images of the training classes (set validation_fraction)");
        if (Classification && ValidationFraction is double held && TrainFraction + held > 1 + 1e-9)
            yield return ("train_fraction", $"{TrainFraction} + validation_fraction {held} exceed 1 (the validation images are held out of the training file)");
        if (!(TrainFraction > 0 && TrainFraction <= 1))
            yield return ("train_fraction", $"{TrainFraction} is not in (0, 1]");
        if (overlap.Length > 0 && !Classification)
            yield return ("test_classes", $"class {string.Join(", ", overlap)} is also a training class (the split must be zero-shot)");
        foreach (long c in ValidationClasses)
            if (!TrainClasses.Contains(c))
                yield return ("validation_classes", $"class {c} is not a training class (validation is carved from train_classes: {string.Join(", ", TrainClasses)})");
        if (ValidationClasses.Count > 0 && ValidationClasses.Count >= TrainClasses.Count)
            yield return ("validation_classes", "holds out every training class; leave at least one for training");
        if (ValidationFraction is double f)
        {
            if (ValidationClasses.Count > 0)
                yield return ("validation_fraction", "set validation_classes or validation_fraction, not both");
            if (!(f > 0 && f < 1))
                yield return ("validation_fraction", $"{f} is not in (0, 1)");
            else if (TrainClasses.Count < 2 && !Classification)
                yield return ("validation_fraction", "needs at least two training classes");
        }
        if (MaxPerClass is < 1)
            yield return ("max_per_class", $"{MaxPerClass} is below 1");
        if (Augmentation.CropPadding is < 0 or > 28)
            yield return ("augmentation.crop_padding", $"{Augmentation.CropPadding} is not in [0, 28]");
    }
}
