using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: the machine's measured peak for float32 products through libtorch (the floor the memory-loss step is
/// compared with), over the shapes that matter here: the memory loss's S = Q·Kᵀ (128 × 512 by 512 × 50,000), its
/// backward G·K (128 × 50,000 by 50,000 × 512), and a square 2,048³. Prints the best and the median GFLOP/s of each
/// over the repetitions, and the peak (the best of all). Usage: Xbm.Bench peak [repetitions=15] [threads=all]
/// </summary>
public static class PeakProduct
{
    /// <summary>Runs the measurement; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        if (args.Length > 1)
            set_num_threads(int.Parse(args[1], CultureInfo.InvariantCulture));
        Console.WriteLine($"{get_num_threads()} threads, {repetitions} repetitions per shape");
        double peak = 0;
        foreach (var (name, m, k, n, transposeB) in new[]
        {
            ("S = Q·Kᵀ, 128 × 512 · 512 × 50,000", 128L, 512L, 50_000L, true),
            ("G·K, 128 × 50,000 · 50,000 × 512", 128L, 50_000L, 512L, false),
            ("square, 2,048³", 2048L, 2048L, 2048L, false),
        })
        {
            using var a = randn(m, k);
            using var stored = transposeB ? randn(n, k) : randn(k, n);
            using var b = transposeB ? stored.t() : stored.alias();
            using var c = empty(m, n);
            var rates = new List<double>();
            var clock = new Stopwatch();
            for (int i = -2; i < repetitions; i++)
            {
                clock.Restart();
                c.addmm_(a, b, beta: 0, alpha: 1);
                double seconds = clock.Elapsed.TotalSeconds;
                if (i >= 0)
                    rates.Add(2.0 * m * k * n / seconds / 1e9);
            }
            peak = Math.Max(peak, rates.Max());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | best {rates.Max():F0} GFLOP/s | median {Medians.Of(rates):F0} GFLOP/s |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak: {peak:F0} GFLOP/s"));
        return 0;
    }
}
