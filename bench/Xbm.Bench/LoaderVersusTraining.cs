using System.Diagnostics;
using System.Globalization;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Losses;
using Xbm.Models;
using Xbm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 5's target: the image loader must not be the bottleneck of ResNet-50 training at 224×224. In one
/// process: (1) the loader alone (JPEG decode + training augmentation to 224×224, <c>workers</c> threads),
/// (2) ResNet-50 training steps through the trainer with batches prefetched on a background thread (the default),
/// (3) the same with loading on the training thread (prefetch 0). Images/s of each and their ratios.
/// Usage: Xbm.Bench loader [iterations=4] [batch=32] [workers=2] [threads=2]
/// </summary>
public static class LoaderVersusTraining
{
    /// <summary>Runs the three measurements; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 4;
        int batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
        int workers = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;
        torch.set_num_threads(threads);
        string folder = Path.Combine(Path.GetTempPath(), $"xbm-loader-vs-training-{Environment.ProcessId}");
        try
        {
            var entries = LoaderBenchmark.WriteImages(Path.Combine(folder, "images"), 320);
            var set = new FileImageSet(entries, new FileImageSetOptions { Workers = workers, Transform = ImageTransformOptions.ImageNet });
            Console.WriteLine($"ResNet-50, 224×224, batch {batch} (8 classes × {batch / 8}), loader workers {workers}, torch threads {threads}, {Environment.ProcessorCount} cores");

            // (1) The loader alone: the batches the trainer would draw.
            var sampler = Sampler(set);
            var clock = Stopwatch.StartNew();
            int loaded = 0;
            for (int i = 0; i < 3 * iterations; i++)
            {
                using var scope = NewDisposeScope();
                var positions = sampler.Next();
                set.Load(positions, augment: true, (ulong)i);
                loaded += positions.Count();
            }
            double loader = loaded / clock.Elapsed.TotalSeconds;
            Console.WriteLine($"loader alone: {loader:F1} images/s");

            // (2), (3) Training steps (one warm-up step not counted), with and without prefetching.
            var training = new Dictionary<int, double>();
            foreach (int prefetch in new[] { 2, 0 })
            {
                training[prefetch] = Train(set, folder, iterations, prefetch);
                Console.WriteLine($"ResNet-50 training, prefetch {prefetch}: {training[prefetch]:F2} images/s");
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratios: loader / training (prefetch 2) = {loader / training[2]:F1}; training prefetch 2 / prefetch 0 = {training[2] / training[0]:F3}"));
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    private static PKSampler Sampler(FileImageSet set) =>
        new(set.Labels, new PKSamplerOptions { ClassesPerBatch = 8, ImagesPerClass = 4, Seed = 1 });

    private static double Train(FileImageSet set, string folder, int iterations, int prefetch)
    {
        torch.manual_seed(1);
        using var model = new EmbeddingModel(new ResNet(50), 512);
        var options = new TrainOptions
        {
            Iterations = iterations + 1,
            Prefetch = prefetch,
            CheckpointEvery = 0,
            TensorBoard = false,
            LogEvery = 1000,
        };
        var observer = new StepWindowClock(1, options.Iterations);
        string run = Path.Combine(folder, $"run-prefetch{prefetch}");
        var sampler = Sampler(set);
        new Trainer(options, model, new ContrastiveLoss(), null, set, sampler, CPU, run, observer: observer).Run(resume: false);
        return sampler.BatchSize * iterations / observer.Elapsed.TotalSeconds;
    }
}
