using Xbm.Configuration;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Evaluation;
using Xbm.IO;
using Xbm.Training;

namespace Xbm.Tests.Classification;

/// <summary>
/// task: classification end to end on a folder of real PNG files (train/ and test/ of the same classes, written from
/// the Fashion-MNIST fixture): decoded on the prefetch thread, half the training images kept, cross-entropy plus a
/// weighted batch loss plus a FIFO memory, periodic and final evaluation with the accuracy and the confusion matrix.
/// Runs alone (the global generator's collection), so its model initialisation, and with it the accuracy asserted,
/// is the same in every run.
/// </summary>
[Collection("global generator")]
public sealed class ClassificationEndToEndTests : IDisposable
{
    private static readonly long[] Classes = [1, 7, 8]; // Trouser, Sneaker, Bag
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-cls-e2e");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Writes train/&lt;class&gt;/*.png (24 per class, training file) and test/&lt;class&gt;/*.png (10 per class, test file).</summary>
    internal static string WriteFolder(string folder)
    {
        var data = FashionMnist.Read(TestPaths.FashionMnistFixture);
        string root = Path.Combine(folder, "images");
        const int plane = FashionMnist.Side * FashionMnist.Side;
        foreach (var (split, fromTrain, count) in new[] { ("train", true, 24), ("test", false, 10) })
            foreach (long label in Classes)
            {
                string classFolder = Directory.CreateDirectory(Path.Combine(root, split, FashionMnistExport.FolderName(label))).FullName;
                var items = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == label && (i < data.TrainFileCount) == fromTrain).Take(count);
                foreach (int i in items)
                {
                    var pixels = new byte[plane * 3];
                    for (int p = 0; p < plane; p++)
                        pixels.AsSpan(3 * p, 3).Fill(data.Images[i * plane + p]);
                    File.WriteAllBytes(Path.Combine(classFolder, $"{i:D5}.png"), ImageDecoder.EncodePng(new RgbImage(FashionMnist.Side, FashionMnist.Side, pixels)));
                }
            }
        return root;
    }

    [Fact]
    public void TrainsAClassifierWithMemoryOnAFolderOfPngFiles()
    {
        string root = WriteFolder(_folder);
        string yaml = $"""
            task: classification
            seed: 3
            iterations: 40
            threads: 1
            data:
              dataset: folder
              root: {root}
              image_size: 28
              resize: 0
              mean: 0.286, 0.286, 0.286
              std: 0.353, 0.353, 0.353
              workers: 2
              train_fraction: 0.5
              augmentation:
                random_resized_crop: false
                flip: 0
            model:
              backbone: small_cnn
              width: 8
              dimension: 16
            sampler:
              classes_per_batch: 3
              images_per_class: 4
              prefetch: 2
            loss: contrastive
            classification:
              batch_loss_weight: 0.5
            optimizer:
              lr: 3.0e-3
            evaluation:
              every: 20
            checkpoint:
              every: 20
            logging:
              every: 10
              tensorboard: false
            memory:
              kind: fifo
              size: 32
              start_iteration: 5
              weight: 0.05
            """;
        string run = Path.Combine(_folder, "run");
        using (var training = TrainingRun.Create(ConfigLoader.Parse(yaml, "classification.yaml"), run))
        {
            Assert.Equal(36, training.Data.Train.Count); // half of 24 per class
            Assert.Equal(Classes.Length, training.Model.Classifier!.Classes);
            var result = training.Trainer.Run();
            var test = result.FinalMetrics["test"];
            Assert.Contains("Recall@1", test.Keys);
            Assert.InRange(test["Accuracy"], 0.6, 1); // three easy classes: well above chance (1/3)
            Assert.InRange(test["MeanClassAccuracy"], 0.6, 1);
            Assert.Equal(32, training.Memory!.Count);
        }
        var classes = ClassMap.Load(run)!;
        Assert.Equal(new long[] { 0, 1, 2 }, classes.Labels); // the folder reader's labels: class folders in ordinal order
        Assert.Equal(new[] { "Bag", "Sneaker", "Trouser" }, classes.Names);
        var confusion = ClassificationResult.FromCsv(File.ReadAllText(ClassificationEvaluator.ConfusionFile(run, "test")), "confusion");
        Assert.Equal(30, confusion.Total);
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(10, confusion.Support(c)));
        var accuracy = TrainingLog.ReadEvaluations(run).Where(e => e.Metric == "Accuracy").ToList();
        Assert.Equal(new long[] { 20, 40 }, accuracy.Select(e => e.Iteration));
        Assert.Equal(accuracy[^1].Value, confusion.Accuracy, 6);

        // xbm report draws the matrix.
        var report = Xbm.Reporting.RunReport.Write([run], Path.Combine(_folder, "report"), new Xbm.Reporting.ReportOptions { RetrievalGrids = false });
        Assert.Contains(report.Images, i => Path.GetFileName(i) == "confusion_run_test.png");
        Assert.True(new FileInfo(Path.Combine(_folder, "report", "confusion_run_test.png")).Length > 1000);

        // Evaluating the run on data with other training classes is refused: the classifier would name the wrong classes.
        foreach (string split in new[] { "train", "test" })
            Directory.Delete(Path.Combine(root, split, "Trouser"), recursive: true);
        var changed = Assert.Throws<ConfigException>(() => TrainingRun.Create(
            ConfigLoader.Parse(yaml.Replace("classes_per_batch: 3", "classes_per_batch: 2", StringComparison.Ordinal), "classification.yaml"), run, forEvaluation: true));
        Assert.Contains("classes.json", changed.Message);
    }
}
