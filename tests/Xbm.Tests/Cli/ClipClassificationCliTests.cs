namespace Xbm.Tests.Cli;

/// <summary>
/// The clip classification path as a user takes it: `xbm datasets make moving-fashion`, `xbm train` with the committed
/// TRN config (shrunk with --set), `xbm eval` printing the accuracy per class and the confusion matrix, `xbm report`.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ClipClassificationCliTests(TinyRuns runs)
{
    [Fact]
    public void MakeTrainEvaluateAndReportAClipClassifier()
    {
        string scratch = runs.Scratch("moving-fashion");
        string data = Path.Combine(scratch, "clips");
        string made = CliRunner.Succeeds("datasets", "make", "moving-fashion", "--out", data, "--root", TestPaths.FashionMnistFixture,
            "--train-per-class", "3", "--test-per-class", "2", "--frames", "4", "--canvas", "32");
        Assert.Contains("train: 12 clips, test: 8 clips", made);
        string config = Path.Combine(Xbm.Tests.Models.PaperConfigTestsAccess.RepositoryRoot(), "configs", "clips", "trn.yaml");
        string run = Path.Combine(scratch, "run");
        string trained = CliRunner.Succeeds("train", "--config", config, "--out", run, "--set", $"data.root={data}",
            "--set", "iterations=3", "--set", "data.segments=4", "--set", "data.image_size=32", "--set", "model.width=4",
            "--set", "model.dimension=8", "--set", "model.frame_dimension=8", "--set", "model.relation_dimension=8", "--set", "model.bottleneck=8",
            "--set", "sampler.images_per_class=2", "--set", "checkpoint.every=3", "--set", "logging.tensorboard=false");
        Assert.Contains("Accuracy", trained);
        string evaluated = CliRunner.Succeeds("eval", "--checkpoint", run);
        Assert.Contains("classifier: accuracy", evaluated);
        Assert.Contains("confusion matrix (rows: true class, columns: predicted)", evaluated);
        Assert.Contains("Recall@1", evaluated); // the embeddings' retrieval metrics stay available
        string reported = CliRunner.Succeeds("report", run, "--no-grid");
        Assert.Contains("report:", reported);
        Assert.True(File.Exists(Path.Combine(run, "report", "confusion_run_test.png")), reported);
        Assert.True(File.Exists(Path.Combine(run, "report", "cross_entropy.png")), reported); // the classifier's loss curve
    }
}
