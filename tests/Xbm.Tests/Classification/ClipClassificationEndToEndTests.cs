using Xbm.Configuration;
using Xbm.Data.Clips;
using Xbm.IO;
using Xbm.Models.Temporal;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Classification;

/// <summary>
/// data.dataset: clips end to end: a moving-fashion clip folder generated from the Fashion-MNIST fixture, a TRN clip
/// model with a classifier and a FIFO memory of clip embeddings, trained through <see cref="TrainingRun"/> with prefetch;
/// a run interrupted at its checkpoint and resumed ends with the weights of an uninterrupted run, which needs the
/// temporal relation's tuple generator restored from the checkpoint. The comparison needs the global generator
/// (model initialisation) to itself, hence the collection that runs alone.
/// </summary>
[Collection("global generator")]
public sealed class ClipClassificationEndToEndTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-clip-e2e");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Config(string root, long iterations) => $"""
        task: classification
        seed: 5
        iterations: {iterations}
        threads: 1
        data:
          dataset: clips
          root: {root}
          segments: 4
          image_size: 32
          resize: 0
          workers: 1
          augmentation:
            random_resized_crop: false
            flip: 0
        model:
          backbone: small_cnn
          width: 4
          dimension: 8
          temporal: relation
          frame_dimension: 8
          relation_dimension: 8
          bottleneck: 8
          subsample: 2
        sampler:
          classes_per_batch: 4
          images_per_class: 2
          prefetch: 1
        loss: contrastive
        evaluation:
          retrieval: false
        checkpoint:
          every: 2
          keep: 3
        logging:
          tensorboard: false
        memory:
          kind: fifo
          size: 16
          start_iteration: 2
          weight: 0.1
        """;

    private static Dictionary<string, float[]> Weights(string run) =>
        SafeTensors.Load(Path.Combine(Checkpoint.Latest(run)!, "model.safetensors")).Tensors
            .Where(p => { if (p.Value.dtype == ScalarType.Float32) return true; p.Value.Dispose(); return false; })
            .ToDictionary(p => p.Key, p => { using var t = p.Value; return t.data<float>().ToArray(); });

    [Fact]
    public void TrainsATrnClassifierWithMemoryOnGeneratedClipsAndResumesExactly()
    {
        string root = Path.Combine(_folder, "clips");
        MovingFashion.Make(new MovingFashionOptions { Output = root, Root = TestPaths.FashionMnistFixture, TrainPerClass = 3, TestPerClass = 2, Frames = 4, Canvas = 32 });
        string whole = Path.Combine(_folder, "whole"), resumed = Path.Combine(_folder, "resumed");
        using (var run = TrainingRun.Create(ConfigLoader.Parse(Config(root, 4), "clips.yaml"), whole))
        {
            Assert.NotNull(run.Model.Clip!.Relation);
            Assert.Equal(4, run.Model.Classifier!.Classes);
            var result = run.Trainer.Run();
            Assert.Equal(new[] { "Accuracy", "MeanClassAccuracy" }, result.FinalMetrics["test"].Keys);
            Assert.Equal(16, run.Memory!.Count);
        }
        using (var run = TrainingRun.Create(ConfigLoader.Parse(Config(root, 2), "clips.yaml"), resumed))
            run.Trainer.Run();
        var info = Checkpoint.ReadInfo(Checkpoint.Latest(resumed)!);
        Assert.NotNull(info.RelationRandomState);
        using (var run = TrainingRun.Create(ConfigLoader.Parse(Config(root, 4), "clips.yaml"), resumed))
        {
            var result = run.Trainer.Run();
            Assert.Equal(2, result.ResumedFrom);
        }
        var expected = Weights(whole);
        var actual = Weights(resumed);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Contains(expected.Keys, k => k.StartsWith("clip.relation.", StringComparison.Ordinal));
        Assert.Contains("classifier.fc.weight", expected.Keys);
        foreach (var (name, values) in expected)
            Assert.True(values.SequenceEqual(actual[name]), $"{name} differs after the resume");
    }

    [Fact]
    public void OnlyFrameOrderTellsOppositeDirectionsApart()
    {
        var data = Xbm.Data.FashionMnist.Read(TestPaths.FashionMnistFixture);
        var options = new MovingFashionOptions { Output = "unused", Frames = 5, Canvas = 34 };
        for (int f = 0; f < options.Frames; f++)
        {
            Assert.Equal(MovingFashion.Frame(data, 3, "left", f, 2, options).Pixels, MovingFashion.Frame(data, 3, "right", options.Frames - 1 - f, 2, options).Pixels);
            Assert.Equal(MovingFashion.Frame(data, 3, "up", f, 2, options).Pixels, MovingFashion.Frame(data, 3, "down", options.Frames - 1 - f, 2, options).Pixels);
        }
        Assert.NotEqual(MovingFashion.Frame(data, 3, "left", 0, 2, options).Pixels, MovingFashion.Frame(data, 3, "right", 0, 2, options).Pixels);

        // The same frames in opposite orders: the single-frame average cannot tell them apart, the relation can.
        manual_seed(1);
        using var clip = randn(new long[] { 1, 4, 1, 28, 28 });
        using var reversed = clip.flip(1);
        foreach (var (consensus, same) in new[] { (ClipConsensus.Average, true), (ClipConsensus.Relation, false) })
        {
            using var model = new ClipEmbeddingModel(new Xbm.Models.SmallCnn(1, 4), 4, 8, new ClipEmbeddingOptions { Consensus = consensus, FrameDimension = 32, RelationDimension = 32, Relation = new TemporalRelationOptions { Bottleneck = 64 } });
            model.eval();
            using var forward = model.forward(clip);
            using var backward = model.forward(reversed);
            Assert.Equal(same, forward.allclose(backward, rtol: 1e-5, atol: 1e-6));
        }
    }
}
