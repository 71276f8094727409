using System.Diagnostics;
using System.Globalization;

namespace Xbm.Bench;

/// <summary>
/// A quick interleaved version of <see cref="MemoryLossBenchmarks"/> (same data, same losses): in each round,
/// every loss step runs between two bare products, and its paired ratio is step / mean of the two products.
/// Prints the median over the rounds per loss, and the resident memory after the warm-up round and at the end.
/// Usage: bench -- loss-step [ROUNDS] [--both] [LOSS ...] (--both also runs each loss in its tensor form, ";form=tensor").
/// </summary>
public static class LossStepRatios
{
    /// <summary>Runs the rounds and prints one row per loss.</summary>
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
        bool both = args.Contains("--both");
        string[] chosen = args.Skip(1).Where(a => a != "--both").ToArray();
        string[] losses = (chosen.Length > 0 ? chosen : MemoryLossBenchmarks.Losses().ToArray())
            .SelectMany(l => both ? new[] { l, l + ";form=tensor" } : new[] { l }).ToArray();
        var benchmarks = new MemoryLossBenchmarks();
        benchmarks.Setup();
        var ratios = losses.ToDictionary(l => l, _ => new List<double>());
        var steps = losses.ToDictionary(l => l, _ => new List<double>());
        var products = new List<double>();
        long warmResident = 0;
        for (int round = -1; round < rounds; round++)
        {
            if (round == 0)
                warmResident = Resident();
            foreach (string loss in losses)
            {
                double before = Time(benchmarks.Matmul);
                double step = Time(() => benchmarks.LossStep(loss));
                double after = Time(benchmarks.Matmul);
                if (round < 0)
                    continue; // warm-up round
                ratios[loss].Add(step / ((before + after) / 2));
                steps[loss].Add(step);
                products.Add(before);
                products.Add(after);
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {rounds} rounds, bare product median {Medians.Of(products):0.0} ms (min {products.Min():0.0} ms)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resident memory after the warm-up round {warmResident} MiB, at the end {Resident()} MiB"));
        Console.WriteLine("| loss (config) | median step | paired ratio (median) | min ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (string loss in losses)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| `{loss}` | {Medians.Of(steps[loss]):0.0} ms | **{Medians.Of(ratios[loss]):0.00}** | {ratios[loss].Min():0.00} |"));
        return 0;
    }

    private static long Resident()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64 >> 20;
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }
}
