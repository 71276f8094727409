using System.Globalization;
using Xbm.Configuration;
using Xbm.Data.Images;
using Xbm.Runtime;

namespace Xbm.Data.Manifest;

/// <summary>
/// The dataset readers by name, and the factory that turns a config's <c>data</c> section into
/// <see cref="DatasetSplits"/>: read the layout, validate it, build file-backed image sets for training, an
/// optional validation split (held-out training classes) and each test protocol.
/// </summary>
/// <remarks>
/// Keys of the data section: <c>dataset</c> (cub, cars196, sop, inshop, vehicleid, folder, csv), <c>root</c>,
/// <c>normalization</c> (imagenet | bn_inception: a preset for the options below), <c>image_size</c> (crop),
/// <c>resize</c> (shorter side, 0 = none), <c>mean</c> and <c>std</c> (three comma-separated numbers),
/// <c>channel_order</c> (rgb | bgr), <c>pixel_range</c> (1 | 255), <c>bounding_box</c> (crop to boxes),
/// <c>augmentation</c> (<c>random_resized_crop</c>, <c>resize_first</c>, <c>scale_min</c>, <c>scale_max</c>,
/// <c>ratio_min</c>, <c>ratio_max</c>, <c>flip</c>), <c>on_bad_image</c> (fail | skip), <c>workers</c>,
/// <c>check_files</c>, <c>check_images</c> (header check of every image before training), <c>validation_fraction</c>,
/// <c>train_fraction</c> (share of the training images kept, stratified per class) with <c>seed</c> (its choice), <c>recall_at</c>, <c>inshop_min_train_images</c>,
/// <c>vehicleid_protocol</c> (dml | reid), <c>vehicleid_repeats</c>, <c>vehicleid_seed</c>.
/// configs/examples/folder.yaml and csv.yaml show each key with its default and a comment.
/// </remarks>
public static class DatasetReaderFactory
{
    /// <summary>The names of the supported layouts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cub", "cars196", "sop", "inshop", "vehicleid", "folder", "csv"];

    /// <summary>Every reader with its default options.</summary>
    public static IReadOnlyList<IDatasetReader> All => Names.Select(n => Create(n)).ToList();

    /// <summary>The reader for <paramref name="name"/> with its default options.</summary>
    public static IDatasetReader Create(string name) => name switch
    {
        "cub" => new CubReader(),
        "cars196" => new Cars196Reader(),
        "sop" => new SopReader(),
        "inshop" => new InShopReader(),
        "vehicleid" => new VehicleIdReader(),
        "folder" => new FolderReader(),
        "csv" => new CsvReader(),
        _ => throw new ArgumentException($"unknown dataset '{name}' (supported: {string.Join(", ", Names)})"),
    };

    /// <summary>Reads, validates and wraps the dataset a config's data section describes. Calls <see cref="ConfigSection.EnsureAllUsed"/>.</summary>
    /// <param name="data">The data section.</param>
    /// <param name="log">Receives notes and warnings (default: standard error).</param>
    /// <param name="classification">task: classification: validation_fraction holds out items of every class (<see cref="TrainingShares"/>).</param>
    public static DatasetSplits Load(ConfigSection data, Action<string>? log = null, bool classification = false)
    {
        log ??= Console.Error.WriteLine;
        string name = data.RequiredString("dataset");
        if (!Names.Contains(name))
            throw data.Error("dataset", $"'{name}' is not one of: {string.Join(", ", Names)}");
        string root = data.RequiredString("root");
        IReadOnlyList<int>? recallAt = data.Has("recall_at") ? data.LongList("recall_at", [], min: 1).Select(k => (int)k).ToList() : null;
        IDatasetReader reader = name switch
        {
            "inshop" => new InShopReader(data.Int("inshop_min_train_images", 2, min: 1)),
            "vehicleid" => new VehicleIdReader(
                data.Choice("vehicleid_protocol", "dml", "dml", "reid") == "reid" ? VehicleIdProtocol.Reid : VehicleIdProtocol.Dml,
                data.Int("vehicleid_repeats", 10, min: 1), (ulong)data.Long("vehicleid_seed", 0, min: 0)),
            "folder" => new FolderReader(recallAt),
            "csv" => new CsvReader(recallAt),
            _ => Create(name),
        };
        var imageOptions = new FileImageSetOptions
        {
            Transform = ReadTransform(data),
            Workers = data.Int("workers", Environment.ProcessorCount, min: 1, max: 256),
            OnBadImage = data.Choice("on_bad_image", "fail", "fail", "skip") == "skip" ? BadImagePolicy.Skip : BadImagePolicy.Fail,
            Log = log,
        };
        bool checkFiles = data.Bool("check_files", true);
        bool checkImages = data.Bool("check_images", true);
        var shares = TrainingShares.Read(data, classification);
        ulong seed = (ulong)data.Long("seed", 0, min: 0);
        data.EnsureAllUsed();

        DatasetManifest manifest;
        try
        {
            manifest = reader.Read(root);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            throw data.Error("root", e.Message); // names the config file and the key: data.root
        }
        return Build(manifest, imageOptions, shares, recallAt, checkFiles, log, checkImages, seed);
    }

    /// <summary>
    /// Validates <paramref name="manifest"/> and builds the splits: train; validation from the manifest's
    /// validation part or, with a validation share in <paramref name="shares"/>, the last classes (in label order) of
    /// train held out (or, by items, a stratified share of each class); one evaluation set per protocol. Missing
    /// files are errors unless the policy skips them.
    /// </summary>
    /// <param name="manifest">The dataset.</param>
    /// <param name="options">Image set options (the bad-image policy decides whether missing or unreadable files are errors).</param>
    /// <param name="shares">The training and validation shares (default: all of train, no hold-out); the validation share applies when the layout has no validation part.</param>
    /// <param name="recallAt">The K of Recall@K, or null for the protocols' own.</param>
    /// <param name="checkFiles">Check that every file exists, and (with <paramref name="checkImages"/>) that its header reads, before training.</param>
    /// <param name="log">Receives notes, warnings and progress lines (default: standard error).</param>
    /// <param name="checkImages">Read every image's header (no pixel decode): all unreadable files are reported at once.</param>
    /// <param name="seed">Seed of the stratified choices.</param>
    public static DatasetSplits Build(DatasetManifest manifest, FileImageSetOptions options, TrainingShares? shares = null,
        IReadOnlyList<int>? recallAt = null, bool checkFiles = true, Action<string>? log = null, bool checkImages = true, ulong seed = 0)
    {
        shares ??= new TrainingShares(1, 0, false);
        log ??= Console.Error.WriteLine;
        var progress = new ThrottledProgress(TimeSpan.FromSeconds(5), (done, total) => log($"{manifest.Name}: checking images: {done:N0}/{total:N0}"));
        var report = ManifestValidator.Validate(manifest, new ManifestValidationOptions
        {
            CheckFiles = checkFiles,
            CheckHeaders = checkFiles && checkImages,
            Workers = options.Workers,
            Progress = progress.Report,
        });
        bool skip = options.OnBadImage == BadImagePolicy.Skip;
        report.ThrowIfErrors(skip ? ["missing-file", "unreadable-image"] : []);
        foreach (string note in manifest.Notes)
            log($"{manifest.Name}: {note}");
        foreach (string warning in manifest.Warnings)
            log($"warning: {warning}");
        foreach (var warning in report.Warnings)
            log($"warning: {warning}");
        var missing = report.Errors.Where(p => p.Kind == "missing-file").ToList();
        if (missing.Count > 0)
            log($"warning: {manifest.Name}: {missing.Count} image(s) missing, each replaced by another image of its class (on_bad_image: skip); first: {missing[0]}");
        var unreadable = report.Errors.Where(p => p.Kind == "unreadable-image").ToList();
        if (unreadable.Count > 0)
            log($"warning: {manifest.Name}: {unreadable.Count} image(s) unreadable, each replaced by another image of its class (on_bad_image: skip); first: {unreadable[0]}");

        var train = manifest.Entries.Where(e => e.Split == DatasetSplit.Train).ToList();
        var validation = manifest.Entries.Where(e => e.Split == DatasetSplit.Validation).ToList();
        if (validation.Count > 0 && shares.ValidationFraction > 0 && shares.ByItems)
            throw new InvalidDataException($"dataset '{manifest.Name}' already has a validation part ({validation.Count} images): "
                + "remove data.validation_fraction, or the layout's validation split");
        if (validation.Count == 0 && shares.ValidationFraction > 0 && shares.ByItems)
        {
            int before = train.Count;
            var (kept, held) = StratifiedFraction.Split(train.Select(e => e.Label).ToArray(), shares.TrainFraction, shares.ValidationFraction, seed);
            validation = held.Select(i => train[i]).ToList();
            train = kept.Select(i => train[i]).ToList();
            log($"{manifest.Name}: validation = {validation.Count} of {before} training images (validation_fraction {shares.ValidationFraction}, stratified per class), "
                + $"training = {train.Count} (train_fraction {shares.TrainFraction})");
        }
        else
        {
            if (validation.Count == 0 && shares.ValidationFraction > 0)
            {
                var classes = train.Select(e => e.Label).Distinct().Order().ToList();
                int held = Math.Clamp((int)Math.Round(classes.Count * shares.ValidationFraction, MidpointRounding.AwayFromZero), 1, classes.Count - 1);
                if (classes.Count < 2)
                    throw new InvalidDataException($"dataset '{manifest.Name}': cannot hold out validation classes from {classes.Count} training class(es)");
                var heldOut = classes.Skip(classes.Count - held).ToHashSet();
                validation = train.Where(e => heldOut.Contains(e.Label)).ToList();
                train = train.Where(e => !heldOut.Contains(e.Label)).ToList();
                log($"{manifest.Name}: validation = {held} of {classes.Count} training classes ({validation.Count} images), held out of training");
            }
            if (shares.TrainFraction < 1)
            {
                int before = train.Count;
                train = StratifiedFraction.Keep(train.Select(e => e.Label).ToArray(), shares.TrainFraction, seed).Select(i => train[i]).ToList();
                log($"{manifest.Name}: train_fraction {shares.TrainFraction}: {train.Count} of {before} training images kept (stratified per class)");
            }
        }
        var defaultK = recallAt ?? manifest.Protocols.FirstOrDefault()?.RecallAt ?? [1, 2, 4, 8];
        EvaluationSet? validationSet = validation.Count > 0
            ? new EvaluationSet("validation", new FileImageSet(validation, options), null, defaultK)
            : null;
        var tests = manifest.Protocols.Select(p => new EvaluationSet(p.Name,
            new FileImageSet(manifest.EntriesOf(p.Queries), options),
            p.Gallery is null ? null : new FileImageSet(manifest.EntriesOf(p.Gallery), options),
            recallAt ?? p.RecallAt)).ToList();
        var evaluated = new List<(string Split, EvaluationSet? Set)> { ("validation", validationSet) };
        evaluated.AddRange(tests.Select(t => ("test", (EvaluationSet?)t)));
        foreach (var (split, set) in evaluated)
            if (set is not null && LoneQueries.Warning(split, set, p => ((FileImageSet)set.Queries).Entries[p].Path) is { } lone)
                log($"warning: {manifest.Name}: {lone}");
        return new DatasetSplits(manifest.Name, new FileImageSet(train, options), validationSet, tests) { ClassNames = manifest.ClassNames };
    }

    /// <summary>Reads the image options of a data section (presets, sizes, normalisation, augmentation).</summary>
    public static ImageTransformOptions ReadTransform(ConfigSection data)
    {
        var options = data.Choice("normalization", "imagenet", "imagenet", "bn_inception") == "bn_inception"
            ? ImageTransformOptions.BnInception
            : ImageTransformOptions.ImageNet;
        options = options with
        {
            CropSize = data.Int("image_size", options.CropSize, min: 1, max: 4096),
            ResizeTo = data.Int("resize", options.ResizeTo, min: 0, max: 8192),
            ChannelOrder = data.Choice("channel_order", options.ChannelOrder == ChannelOrder.Bgr ? "bgr" : "rgb", "rgb", "bgr") == "bgr" ? ChannelOrder.Bgr : ChannelOrder.Rgb,
            PixelRange = data.Double("pixel_range", options.PixelRange, min: 1e-9),
            Mean = Triple(data, "mean", options.Mean),
            Std = Triple(data, "std", options.Std),
            UseBoundingBox = data.Bool("bounding_box", false),
        };
        var aug = data.Section("augmentation");
        options = options with
        {
            RandomResizedCrop = aug.Bool("random_resized_crop", options.RandomResizedCrop),
            ResizeBeforeRandomCrop = aug.Bool("resize_first", options.ResizeBeforeRandomCrop),
            ScaleMin = aug.Double("scale_min", options.ScaleMin, min: 1e-6, max: 1),
            ScaleMax = aug.Double("scale_max", options.ScaleMax, min: 1e-6, max: 1),
            RatioMin = aug.Double("ratio_min", options.RatioMin, min: 1e-6),
            RatioMax = aug.Double("ratio_max", options.RatioMax, min: 1e-6),
            FlipProbability = aug.Double("flip", options.FlipProbability, min: 0, max: 1),
        };
        aug.EnsureAllUsed();
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigException($"{data.Source}: {(data.Path.Length == 0 ? "data" : data.Path)}: {e.Message}");
        }
        return options;
    }

    private static IReadOnlyList<double> Triple(ConfigSection data, string key, IReadOnlyList<double> fallback)
    {
        if (!data.Has(key))
            return fallback;
        string text = data.RequiredString(key);
        var parts = text.Trim('[', ']', ' ').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new List<double>();
        foreach (string part in parts)
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw data.Error(key, $"'{part}' is not a number");
            values.Add(v);
        }
        if (values.Count != 3)
            throw data.Error(key, $"needs three comma-separated numbers (one per channel), got '{text}'");
        return values;
    }
}
