using TorchSharp;
using Xbm.Data;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using Xbm.Training;

namespace Xbm.Tests.Docs;

/// <summary>
/// The README's library example, compiled here. <see cref="ReadmeExampleTests"/> runs it and checks that the README
/// shows exactly the lines between the markers.
/// </summary>
internal static class ReadmeExample
{
    public static TrainingResult Train(string fashionMnistRoot, string runFolder, long iterations, long memoryStart)
    {
        // README example: begin
        // Fashion-MNIST's zero-shot split: classes 0–4 train, 5–9 test.
        var data = FashionMnist.LoadSplits(new FashionMnistOptions { Root = fashionMnistRoot });
        torch.manual_seed(0);
        using var model = new EmbeddingModel(ModelFactory.CreateBackbone("small_cnn", inputChannels: 1, width: 16), dimension: 64);

        // The paper's contrastive loss; the same instance scores the batch and the memory.
        var loss = new ContrastiveLoss(new ContrastiveLossOptions { Margin = 0.5 });
        // A FIFO memory of the whole training split.
        using var memory = new CrossBatchMemory(capacity: data.Train.Count, dimension: model.Dimension);

        var options = new TrainOptions
        {
            Iterations = iterations,
            Optimizer = new OptimizerOptions(LearningRate: 3e-4),
            // Total = batch loss + 0.03 × memory loss, from iteration memoryStart on.
            Memory = new XbmOptions(Enabled: true, StartIteration: memoryStart, Weight: 0.03),
        };
        var sampler = new PKSampler(data.Train.Labels, new PKSamplerOptions { ClassesPerBatch = 4, ImagesPerClass = 8 });
        var evaluator = new DatasetEvaluator(data, torch.CPU, batchSize: 256);
        var trainer = new Trainer(options, model, loss, memory, data.Train, sampler, torch.CPU, runFolder, evaluator);

        var result = trainer.Run();
        Console.WriteLine($"test Recall@1: {result.FinalMetrics["test"]["Recall@1"]:P1}, memory rows: {memory.Count}");
        // README example: end
        return result;
    }
}
