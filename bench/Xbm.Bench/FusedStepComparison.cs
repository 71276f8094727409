using System.Diagnostics;
using System.Globalization;
using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: the InfoNCE memory step of the library (S, the host rows, G·K) against the fused one-pass prototype
/// (<see cref="FusedSoftmaxStep"/>), alternating in one run at B 128, M 50,016 (a multiple of the prototype's 96-key groups),
/// d 512, random unit vectors in 100 classes: medians in ms, each step's ratio to the floor of two products at the
/// given peak, and the largest differences of the loss and of ∂L/∂Q between the two (the run fails past 1e-4 of the
/// largest value), and the fused step's phases. Usage: Xbm.Bench fused-step [repetitions=10] [peak GFLOP/s=414] [threads=all]
/// </summary>
public static class FusedStepComparison
{
    /// <summary>Runs the comparison; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        double peak = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 414;
        if (args.Length > 2)
            set_num_threads(int.Parse(args[2], CultureInfo.InvariantCulture));
        int threads = get_num_threads();
        const int b = 128, d = 512, m = 50_016, classes = 100;
        manual_seed(7);
        using var queries = nn.functional.normalize(randn(b, d), dim: 1).requires_grad_(true);
        using var keys = nn.functional.normalize(randn(m, d), dim: 1);
        using var queryLabels = randperm(classes).narrow(0, 0, 32).repeat_interleave(4);
        using var keyLabels = randint(0, classes, new long[] { m }, dtype: ScalarType.Int64);
        int[] hostQueryLabels = queryLabels.data<long>().Select(v => (int)v).ToArray();
        int[] hostKeyLabels = keyLabels.data<long>().Select(v => (int)v).ToArray();
        var loss = (NPairLoss)MemoryLossBenchmarks.Create("infonce");
        double temperature = loss.Options.Temperature;

        var library = new List<double>();
        var fused = new List<double>();
        var phases = new List<FusedSoftmaxStep.Result>();
        double libraryLoss = 0;
        FusedSoftmaxStep.Result? result = null;
        var clock = new Stopwatch();
        for (int i = -2; i < repetitions; i++)
        {
            queries.grad?.zero_();
            clock.Restart();
            using (var scope = NewDisposeScope())
            {
                var output = loss.Compute(queries, queryLabels, keys, keyLabels, null);
                output.Loss.backward();
                libraryLoss = output.Loss.item<float>();
            }
            double first = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            result = FusedSoftmaxStep.Run(queries, keys, hostQueryLabels, hostKeyLabels, temperature, threads);
            double second = clock.Elapsed.TotalMilliseconds;
            if (i >= 0)
            {
                library.Add(first);
                fused.Add(second);
                phases.Add(result);
            }
        }
        float[] libraryGradient = queries.grad!.data<float>().ToArray();

        // The library's loss is the rows' sum over its divisor (the active rows, for the default reduction).
        double divisor = result!.ActiveRows;
        double lossError = Math.Abs(result.Sum / divisor - libraryLoss) / Math.Abs(libraryLoss);
        double scale = libraryGradient.Max(Math.Abs), gradientError = 0;
        for (int i = 0; i < libraryGradient.Length; i++)
            gradientError = Math.Max(gradientError, Math.Abs(result.Gradient[i] / divisor - libraryGradient[i]) / scale);
        double floor = 2 * 2.0 * b * m * d / (peak * 1e9) * 1e3;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{threads} threads, {repetitions} repetitions; floor {floor:F1} ms at {peak:F0} GFLOP/s; loss {libraryLoss:F6}, relative differences: loss {lossError:E2}, ∂L/∂Q {gradientError:E2}"));
        foreach (var (name, times) in new[] { ("InfoNCE step, library", library), ("InfoNCE step, fused", fused) })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | median {Medians.Of(times):F1} ms ({Medians.Of(times) / floor:F2} × floor) | best {times.Min():F1} ms ({times.Min() / floor:F2} × floor) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fused, medians: pass over the memory {Medians.Of(phases.Select(p => p.Pass)):F1} ms; per thread S {Medians.Of(phases.Select(p => p.Similarities)):F1} ms, exponentials {Medians.Of(phases.Select(p => p.Exponentials)):F1} ms, Σ e·K {Medians.Of(phases.Select(p => p.Product)):F1} ms; merge {Medians.Of(phases.Select(p => p.Merge)):F1} ms"));
        return lossError > 1e-4 || gradientError > 1e-4 ? 1 : 0;
    }
}
