using Xbm.Configuration;
using Xbm.Data;
using Xbm.Data.Clips;
using Xbm.Data.Images;
using Xbm.Data.Manifest;
using Xbm.Evaluation;
using Xbm.Tests.Data.Clips;
using Xbm.Training;

namespace Xbm.Tests.Classification;

/// <summary>
/// The classification task's validation split (data.validation_fraction holds out items of every class, not whole
/// classes), the rejection of clips in query/gallery splits, and the evaluator embedding each set once.
/// </summary>
[Collection("global generator")]
public sealed class ClassificationValidationTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-cls-val");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ConfigSection Data(string yaml) => ConfigLoader.Parse(yaml, "data.yaml").Section("data");

    [Fact]
    public void TheSplitHoldsOutADisjointStratifiedShareAndKeepsTheSameTrainingItems()
    {
        long[] labels = [.. Enumerable.Repeat(0L, 20), .. Enumerable.Repeat(1L, 10), .. Enumerable.Repeat(2L, 4)];
        var (train, validation) = StratifiedFraction.Split(labels, 0.5, 0.25, 7);
        Assert.Equal([10, 5, 2], new long[] { 0, 1, 2 }.Select(c => train.Count(i => labels[i] == c)));
        Assert.Equal([5, 3, 1], new long[] { 0, 1, 2 }.Select(c => validation.Count(i => labels[i] == c))); // round half up, at least one
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(train, train.Order());
        Assert.Equal(validation, validation.Order());
        Assert.Equal(StratifiedFraction.Keep(labels, 0.5, 7), train); // holding out validation leaves the training items as they were
        Assert.NotEqual(validation, StratifiedFraction.Split(labels, 0.5, 0.25, 8).Validation);

        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedFraction.Split(labels, 0.8, 0.3, 7));
        var small = Assert.Throws<InvalidDataException>(() => StratifiedFraction.Split([0, 1, 1, 1], 0.9, 0.1, 7));
        Assert.StartsWith("class 0 has 1 item(s): too few for 1 training and 1 validation item(s)", small.Message);
    }

    [Fact]
    public void FashionMnistClassificationValidatesOnHeldOutTrainingFileImagesOfEveryClass()
    {
        string data = $"data:\n  root: {TestPaths.FashionMnistFixture}\n  protocol: classification\n  seed: 4\n";
        var splits = DatasetFactory.Load(Data(data + "  train_fraction: 0.5\n  validation_fraction: 0.1\n"), classification: true);
        var without = DatasetFactory.Load(Data(data + "  train_fraction: 0.5\n"), classification: true);
        // The fixture holds 120 training-file images per class: 60 train, 12 validate, the training set unchanged.
        Assert.Equal(without.Train.Labels, splits.Train.Labels);
        var trainImages = ((TensorImageSet)splits.Train).Images;
        Assert.Equal(trainImages.bytes.ToArray(), ((TensorImageSet)without.Train).Images.bytes.ToArray());
        var validation = splits.Validation!.Queries;
        Assert.Equal(120, validation.Count);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(12, validation.Labels.Count(l => l == c)));
        Assert.Null(splits.Validation.Gallery);

        // No validation image is a training image (compared by pixels) or a test-file image.
        var train = Rows(trainImages);
        Assert.DoesNotContain(Rows(((TensorImageSet)validation).Images), train.Contains);

        // Without train_fraction, training is the rest of the file; the two shares may not exceed the file.
        Assert.Equal(1080, DatasetFactory.Load(Data(data + "  validation_fraction: 0.1\n"), classification: true).Train.Count);
        var over = Assert.Throws<ConfigException>(() => DatasetFactory.Load(Data(data + "  train_fraction: 0.95\n  validation_fraction: 0.1\n"), classification: true));
        Assert.StartsWith("data.yaml: data.train_fraction: 0.95 + validation_fraction 0.1 exceed 1", over.Message);
        var classes = Assert.Throws<ConfigException>(() => DatasetFactory.Load(Data(data + "  validation_classes: [3]\n"), classification: true));
        Assert.StartsWith("data.yaml: data.validation_classes: protocol: classification validates on held-out images", classes.Message);
    }

    private static HashSet<string> Rows(TorchSharp.torch.Tensor images)
    {
        var bytes = images.contiguous().bytes.ToArray();
        int plane = FashionMnist.Side * FashionMnist.Side;
        return Enumerable.Range(0, bytes.Length / plane).Select(i => Convert.ToBase64String(bytes, i * plane, plane)).ToHashSet();
    }

    [Fact]
    public void AFolderOfImagesValidatesOnItemsForClassificationAndOnClassesForRetrieval()
    {
        string root = ClassificationEndToEndTests.WriteFolder(_folder);
        string yaml = $"data:\n  dataset: folder\n  root: {root}\n  validation_fraction: 0.25\n  check_images: false\n";
        var classification = DatasetReaderFactory.Load(Data(yaml), _ => { }, classification: true);
        Assert.Equal(54, classification.Train.Count); // 24 per class: 6 validate, 18 train (train_fraction defaults to the rest)
        Assert.Equal(18, classification.Validation!.Queries.Count);
        Assert.Equal(classification.Train.Labels.Distinct().Order(), classification.Validation.Queries.Labels.Distinct().Order());
        var paths = ((FileImageSet)classification.Validation.Queries).Entries.Select(e => e.Path).ToHashSet();
        Assert.DoesNotContain(((FileImageSet)classification.Train).Entries, e => paths.Contains(e.Path));

        var retrieval = DatasetReaderFactory.Load(Data(yaml), _ => { });
        Assert.Single(retrieval.Validation!.Queries.Labels.Distinct()); // a whole class held out (a quarter of 3, at least one)
        Assert.Empty(retrieval.Validation.Queries.Labels.Intersect(retrieval.Train.Labels));

        // A layout with its own validation part and validation_fraction too: an error, not a silently smaller training split.
        string own = Path.Combine(root, "validation", Path.GetFileName(Directory.GetDirectories(Path.Combine(root, "train"))[0]));
        Directory.CreateDirectory(own);
        File.Copy(Directory.GetFiles(Directory.GetDirectories(Path.Combine(root, "test"))[0])[0], Path.Combine(own, "v.png"));
        var both = Assert.Throws<InvalidDataException>(() => DatasetReaderFactory.Load(Data(yaml), _ => { }, classification: true));
        Assert.Contains("already has a validation part (1 images): remove data.validation_fraction", both.Message);
    }

    [Fact]
    public void ClipsValidateOnHeldOutClipsAndRefuseQueryAndGallerySplits()
    {
        string root = Path.Combine(_folder, "clips");
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < 4; i++)
                ClipFolders.Write(Path.Combine(root, "train", $"class{c}", $"clip{i}"), 3, green: (byte)c);
            ClipFolders.Write(Path.Combine(root, "test", $"class{c}", "clip0"), 3, green: (byte)c);
        }
        string yaml = $"data:\n  dataset: clips\n  root: {root}\n  segments: 2\n  workers: 1\n  validation_fraction: 0.25\n";
        var splits = ClipDatasetFactory.Load(Data(yaml), _ => { }, classification: true);
        Assert.Equal(6, splits.Train.Count);
        Assert.Equal([0L, 1L], splits.Validation!.Queries.Labels.Order());
        var retrieval = Assert.Throws<ConfigException>(() => ClipDatasetFactory.Load(Data(yaml), _ => { }));
        Assert.Contains("data.validation_fraction: holds out clips of every class for task: classification", retrieval.Message);

        ClipFolders.Write(Path.Combine(root, "gallery", "class0", "clip9"), 3);
        var gallery = Assert.Throws<ConfigException>(() => ClipDatasetFactory.Load(Data(yaml), _ => { }, classification: true));
        Assert.Contains("a clip in the gallery split; clips have train, validation and test splits only", gallery.Message);
        Assert.Contains(Path.Combine(root, "gallery", "class0", "clip9"), gallery.Message);
    }

    [Fact]
    public void TheEvaluatorEmbedsEachSetOnceForRetrievalAndTheClassifier()
    {
        string root = ClassificationEndToEndTests.WriteFolder(_folder);
        string yaml = $"""
            task: classification
            seed: 1
            iterations: 2
            threads: 1
            data:
              dataset: folder
              root: {root}
              image_size: 28
              resize: 0
              workers: 1
              validation_fraction: 0.25
              check_images: false
              augmentation:
                random_resized_crop: false
                flip: 0
            model:
              backbone: small_cnn
              width: 4
              dimension: 8
            sampler:
              classes_per_batch: 3
              images_per_class: 2
            loss: contrastive
            classification:
              classifier: cosine
              scale: 10
            checkpoint:
              every: 2
            logging:
              every: 1
              tensorboard: false
            """;
        string run = Path.Combine(_folder, "run");
        using var training = TrainingRun.Create(ConfigLoader.Parse(yaml, "cls.yaml"), run);
        Assert.Equal(10, training.Model.Classifier!.Scale);
        training.Trainer.Run();
        var embedded = new List<(string What, long Done, long Total)>();
        training.Evaluator.Progress = (what, done, total) => embedded.Add((what, done, total));
        var metrics = training.Classification!.Evaluate(training.Model, "validation");
        Assert.Contains("Recall@1", metrics.Keys);
        Assert.Equal(1, embedded.Count(e => e.What == "validation" && e.Done == e.Total && e.Total == 18)); // one pass over the 18 validation images
        Assert.Equal(training.Classification.Classify(training.Model, "validation").Metrics["Accuracy"], metrics["Accuracy"]);
        Assert.True(File.Exists(ClassificationEvaluator.ConfusionFile(run, "validation")));

        // metrics.csv carries the classifier's cross-entropy.
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        int column = Array.IndexOf(lines[0].Split(','), "cross_entropy");
        Assert.True(column >= 0);
        Assert.All(lines.Skip(1), l => Assert.InRange(double.Parse(l.Split(',')[column], System.Globalization.CultureInfo.InvariantCulture), 0.01, 20));
    }
}
