using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Xbm.Losses;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: training throughput of ResNet-18 or ResNet-50 at 224 × 224 against the PyTorch script
/// bench/reference/resnet_reference.py (Debian's python3-torch, written from docs/design.md): the same backbone,
/// head (d = 512), contrastive loss on the batch, Adam 3e-4, one fixed batch of random images, threads and batch.
/// Each round runs ours, then theirs in the default layout and in channels-last; the verdict is the median over
/// rounds of the ratio measured within a round. Usage: Xbm.Bench resnet DEPTH [iterations=10] [threads=2] [rounds=3] [batch=16]
/// </summary>
public static class ResNetComparison
{
    private const int WarmUp = 2;

    /// <summary>Runs the comparison; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int depth = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 18;
        int iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        int rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        int batch = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 16;
        string repository = TrainingThroughput.FindRepository();
        var ours = new List<double>();
        var theirs = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
        Console.WriteLine($"ResNet-{depth} at 224, batch {batch}, {threads} threads, {iterations} timed iterations after {WarmUp}");
        for (int round = 0; round < rounds; round++)
        {
            ours.Add(Ours(depth, iterations, threads, batch));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: XBM.NET {ours[^1]:F2} images/s"));
            foreach (bool channelsLast in new[] { false, true })
            {
                theirs[channelsLast].Add(Theirs(repository, depth, iterations, threads, batch, channelsLast));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: PyTorch{(channelsLast ? " channels-last" : "")} {theirs[channelsLast][^1]:F2} images/s"));
            }
        }
        double Ratio(List<double> b) => Medians.Of(ours.Zip(b, (x, y) => x / y));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median images/s: XBM.NET {Medians.Of(ours):F2}, PyTorch {Medians.Of(theirs[false]):F2}, PyTorch channels-last {Medians.Of(theirs[true]):F2}; "
            + $"median per-round ratio ours/PyTorch {Ratio(theirs[false]):F3}, ours/PyTorch channels-last {Ratio(theirs[true]):F3}"));
        return 0;
    }

    private static double Ours(int depth, int iterations, int threads, int batch)
    {
        set_num_threads(threads);
        manual_seed(0);
        using var model = new EmbeddingModel(new ResNet(depth), 512);
        using var optimizer = new Xbm.Training.Optimizers.Adam(model.parameters(), 3e-4);
        var loss = new ContrastiveLoss();
        using var images = randn(batch, 3, 224, 224);
        using var labels = tensor(Enumerable.Range(0, batch).Select(i => (long)(i / 2)).ToArray());
        using var count = ((long)batch).ToScalar();
        using var self = arange(Xbm.Runtime.Scalars.Zero, count, Xbm.Runtime.Scalars.One, dtype: ScalarType.Int64);
        model.train();
        var clock = new Stopwatch();
        for (int t = 1; t <= WarmUp + iterations; t++)
        {
            if (t == WarmUp + 1)
                clock.Start();
            using var scope = NewDisposeScope();
            var queries = model.forward(images);
            var output = loss.Compute(queries, labels, queries, labels, self);
            optimizer.zero_grad();
            output.Loss.backward();
            optimizer.step();
            output.Loss.item<float>();
        }
        return iterations * batch / clock.Elapsed.TotalSeconds;
    }

    private static double Theirs(string repository, int depth, int iterations, int threads, int batch, bool channelsLast) =>
        ReferenceScript.ImagesPerSecond(repository, "resnet_reference.py", new[] { "--depth", $"{depth}", "--iterations", $"{iterations}",
            "--warmup", $"{WarmUp}", "--threads", $"{threads}", "--batch", $"{batch}" }.Concat(channelsLast ? new[] { "--channels-last" } : Array.Empty<string>()));
}
