using Xbm.Configuration;
using Xbm.Training;

namespace Xbm.Tests.Training;

/// <summary>
/// `xbm train` on an original benchmark layout: the CUB-200-2011 miniature fixture read by its reader, decoded
/// and augmented by SkiaSharp on worker threads, embedded by a torchvision-layout ResNet-18, trained with
/// memory, checkpointed, and evaluated with the dataset's protocol.
/// </summary>
public sealed class ImageDatasetEndToEndTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-cub-e2e");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TrainsAResNetWithMemoryOnTheCubLayout()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Datasets", "cub");
        string yaml = $"""
            seed: 2
            iterations: 6
            threads: 1
            data:
              dataset: cub
              root: {root}
              image_size: 32
              resize: 36
              workers: 2
            model:
              backbone: resnet18
              dimension: 16
            sampler:
              classes_per_batch: 2
              images_per_class: 2
            loss: contrastive
            optimizer:
              name: adamw
              lr: 1.0e-4
            evaluation:
              every: 3
            checkpoint:
              every: 3
            logging:
              every: 1
              tensorboard: false
            memory:
              kind: xbn
              start_iteration: 2
            """;
        string run = Path.Combine(_folder, "run");
        using (var training = TrainingRun.Create(ConfigLoader.Parse(yaml, "cub.yaml"), run))
        {
            var result = training.Trainer.Run();
            Assert.Equal(6, result.Iterations);
            Assert.Equal(new[] { "Recall@1", "Recall@2", "Recall@4", "Recall@8", "R-Precision", "MAP@R" }, result.FinalMetrics["test"].Keys);
            Assert.All(result.FinalMetrics["test"].Values, v => Assert.InRange(v, 0, 1));
            Assert.True(training.Memory!.Count > 0);
        }
        Assert.Equal(6, Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration);
        Assert.Equal(2, TrainingLog.ReadEvaluations(run).Select(e => e.Iteration).Distinct().Count());
    }
}
