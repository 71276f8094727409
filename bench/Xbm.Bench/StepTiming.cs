using TorchSharp;
using System.Diagnostics;
using System.Globalization;
using Xbm.Losses;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Forward, loss and backward+step time of the demo model (small CNN, 28×28, batch 16 = 2 × 8, d = 64) for a
/// given intra-op thread count and width, in the default (NCHW) and the channels-last layout. The two layouts
/// alternate over ROUNDS rounds; the medians and the median of the paired ratios are printed.
/// Usage: bench -- step THREADS WIDTH [ITERATIONS] [ROUNDS]
/// </summary>
public static class StepTiming
{
    /// <summary>Runs the timing and prints milliseconds per part.</summary>
    public static int Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        int width = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        int iterations = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 60;
        int rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        set_num_threads(threads);
        var totals = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
        for (int round = 0; round < rounds; round++)
        {
            foreach (bool channelsLast in new[] { false, true })
            {
                var (forward, loss, backward) = Time(width, iterations, channelsLast);
                totals[channelsLast].Add(forward + loss + backward);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}, threads {threads}, width {width}, {(channelsLast ? "channels-last" : "NCHW")}: forward {forward:F1} ms, loss {loss:F1} ms, backward+step {backward:F1} ms, total {forward + loss + backward:F1} ms/step"));
            }
        }
        double ratio = Medians.Of(totals[true].Zip(totals[false], (c, n) => c / n));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median ms/step: NCHW {Medians.Of(totals[false]):F1}, channels-last {Medians.Of(totals[true]):F1}; median paired ratio channels-last / NCHW {ratio:F3}"));
        return 0;
    }

    private static (double Forward, double Loss, double Backward) Time(int width, int iterations, bool channelsLast)
    {
        manual_seed(0);
        using var model = new EmbeddingModel(new SmallCnn(1, width, new BackboneOptions { ChannelsLast = channelsLast }), 64);
        using var optimizer = new Xbm.Training.Optimizers.Adam(model.parameters(), 3e-4);
        var loss = new ContrastiveLoss();
        using var images = randn(16, 1, 28, 28);
        using var labels = tensor(Enumerable.Range(0, 16).Select(i => (long)(i / 8)).ToArray());
        using var count = 16.ToScalar();
        using var self = arange(Xbm.Runtime.Scalars.Zero, count, Xbm.Runtime.Scalars.One, dtype: ScalarType.Int64); // each query's own key
        double forward = 0, lossTime = 0, backward = 0;
        int warmUp = Math.Min(10, iterations / 2), measured = 0;
        var clock = new Stopwatch();
        for (int i = 0; i < iterations; i++)
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            var queries = model.forward(images);
            double t1 = clock.Elapsed.TotalMilliseconds;
            var output = loss.Compute(queries, labels, queries, labels, self);
            double t2 = clock.Elapsed.TotalMilliseconds;
            optimizer.zero_grad();
            output.Loss.backward();
            optimizer.step();
            double t3 = clock.Elapsed.TotalMilliseconds;
            if (i < warmUp)
                continue;
            forward += t1;
            lossTime += t2 - t1;
            backward += t3 - t2;
            measured++;
        }
        return (forward / measured, lossTime / measured, backward / measured);
    }
}
