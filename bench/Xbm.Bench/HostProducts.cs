using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: the memory loss's two products on the host (<see cref="HostSimilarityProduct"/>,
/// <see cref="HostGradientProduct"/>) against libtorch's (MKL's) at B 128, M 50,000, d 512, alternating in one run:
/// the best and the median of each, in ms and GFLOP/s, with the largest difference between the two results
/// (the run fails when it exceeds 1e-4 of the largest value). Usage: Xbm.Bench host-products [repetitions=15] [threads=all] [M=50,000]
/// </summary>
public static class HostProducts
{
    /// <summary>Runs the measurement; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        if (args.Length > 1)
            set_num_threads(int.Parse(args[1], CultureInfo.InvariantCulture));
        int threads = get_num_threads();
        long b = 128, d = 512, m = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 50_000;
        using var queries = randn(b, d);
        using var keys = randn(m, d);
        if (!HostSimilarityProduct.Applies(queries, keys) || !HostGradientProduct.Applies(keys))
        {
            Console.WriteLine("The host products need float32 CPU tensors and 512-bit vectors (AVX-512), which this machine lacks.");
            return 1;
        }
        using var keysTransposed = keys.t();
        using var libtorch = empty(b, m);
        using var host = empty(b, m);
        var libtorchTimes = new List<double>();
        var hostTimes = new List<double>();
        var clock = new Stopwatch();
        for (int i = -2; i < repetitions; i++)
        {
            clock.Restart();
            libtorch.addmm_(queries, keysTransposed, beta: 0, alpha: 1);
            double first = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            HostSimilarityProduct.Multiply(queries, keys, host, threads);
            double second = clock.Elapsed.TotalMilliseconds;
            if (i >= 0)
            {
                libtorchTimes.Add(first);
                hostTimes.Add(second);
            }
        }
        using var gradient = randn(b, m);
        var libtorchGradientTimes = new List<double>();
        var hostGradientTimes = new List<double>();
        using var libtorchProduct = empty(b, d);
        Tensor? hostProduct = null;
        for (int i = -2; i < repetitions; i++)
        {
            clock.Restart();
            libtorchProduct.addmm_(gradient, keys, beta: 0, alpha: 1);
            double first = clock.Elapsed.TotalMilliseconds;
            hostProduct?.Dispose();
            clock.Restart();
            hostProduct = HostGradientProduct.Multiply(gradient, keys, threads);
            double second = clock.Elapsed.TotalMilliseconds;
            if (i >= 0)
            {
                libtorchGradientTimes.Add(first);
                hostGradientTimes.Add(second);
            }
        }
        double flops = 2.0 * b * m * d;
        // The largest difference from libtorch's result, relative to its largest magnitude: the run fails past 1e-4.
        double similarityError = RelativeDifference(libtorch, host), gradientError = RelativeDifference(libtorchProduct, hostProduct!);
        hostProduct!.Dispose();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{threads} threads, {repetitions} repetitions, largest relative difference S {similarityError:E2}, G·K {gradientError:E2}"));
        if (similarityError > 1e-4 || gradientError > 1e-4)
        {
            Console.WriteLine("The host products differ from libtorch's by more than 1e-4 of the largest value.");
            return 1;
        }
        foreach (var (name, times) in new[] { ("S = Q·Kᵀ, libtorch", libtorchTimes), ("S = Q·Kᵀ, host", hostTimes),
            ("G·K, libtorch", libtorchGradientTimes), ("G·K, host", hostGradientTimes) })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | best {times.Min():F2} ms ({flops / times.Min() / 1e6:F0} GFLOP/s) | median {Medians.Of(times):F2} ms ({flops / Medians.Of(times) / 1e6:F0} GFLOP/s) |"));
        return 0;
    }

    private static double RelativeDifference(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        return expected.sub(actual).abs().max().item<float>() / expected.abs().max().item<float>();
    }
}
