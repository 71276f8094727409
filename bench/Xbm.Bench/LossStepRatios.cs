using System.Diagnostics;
using System.Globalization;

namespace Xbm.Bench;

/// <summary>
/// A quick interleaved version of <see cref="MemoryLossBenchmarks"/> (same data, same losses): in each round,
/// every loss step runs between two bare products, and its paired ratio is step / mean of the two products.
/// Prints the median over the rounds per loss, and the resident memory after the warm-up round and at the end.
/// With <c>--peak GFLOPS</c> (the machine's measured peak, <see cref="PeakProduct"/>) it also prints each step's ratio to
/// the floor of two B × d × M products at that peak (issue 18). With <c>--phases</c> it also times each loss's forward
/// pass without gradient (S and the row evaluation) and prints the step split into the product S, the rest of the
/// forward pass and the backward pass (mostly the gradient product G·K).
/// Usage: bench -- loss-step [ROUNDS] [--both] [--phases] [--peak GFLOPS] [--data random|sop] [LOSS ...] (--both also runs each
/// loss in its tensor form, ";form=tensor"; --data picks <see cref="MemoryLossBenchmarks.Data"/>).
/// </summary>
public static class LossStepRatios
{
    /// <summary>Runs the rounds and prints one row per loss.</summary>
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
        bool both = false, phases = false;
        double? peak = null;
        string data = "random";
        var chosen = new List<string>();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--both")
                both = true;
            else if (args[i] == "--phases")
                phases = true;
            else if (args[i] == "--peak")
                peak = double.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--data")
                data = args[++i];
            else
                chosen.Add(args[i]);
        }
        string[] losses = (chosen.Count > 0 ? chosen.ToArray() : MemoryLossBenchmarks.Losses().ToArray())
            .SelectMany(l => both ? new[] { l, l + ";form=tensor" } : new[] { l }).ToArray();
        var benchmarks = new MemoryLossBenchmarks { Data = data };
        benchmarks.Setup();
        var sparse = losses.ToDictionary(l => l, _ => 0);
        var ratios = losses.ToDictionary(l => l, _ => new List<double>());
        var steps = losses.ToDictionary(l => l, _ => new List<double>());
        var forwards = losses.ToDictionary(l => l, _ => new List<double>());
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
                sparse[loss] += benchmarks.LastProductWasSparse(loss) ? 1 : 0;
                double after = Time(benchmarks.Matmul);
                double forward = phases ? Time(() => benchmarks.ForwardOnly(loss)) : double.NaN;
                if (round < 0)
                    continue; // warm-up round
                ratios[loss].Add(step / ((before + after) / 2));
                steps[loss].Add(step);
                forwards[loss].Add(forward);
                products.Add(before);
                products.Add(after);
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data {data}, {Environment.ProcessorCount} cores, {rounds} rounds, bare product median {Medians.Of(products):0.0} ms (min {products.Min():0.0} ms)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resident memory after the warm-up round {warmResident} MiB, at the end {Resident()} MiB"));
        // The floor: two B × d × M products (S = Q·Kᵀ and the gradient's G·K) at the measured peak.
        double? floor = peak is double p ? 2 * 2.0 * MemoryLossBenchmarks.B * MemoryLossBenchmarks.D * MemoryLossBenchmarks.M / (p * 1e9) * 1000 : null;
        if (floor is double f)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor of two products at the peak of {peak:0} GFLOP/s: {f:0.0} ms"));
        Console.WriteLine("| loss (config) | median step | paired ratio (median) | min ratio | step / floor | sparse G·K |");
        Console.WriteLine("|---|---:|---:|---:|---:|---|");
        foreach (string loss in losses)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| `{loss}` | {Medians.Of(steps[loss]):0.0} ms | **{Medians.Of(ratios[loss]):0.00}** | {ratios[loss].Min():0.00} | {(floor is double ff ? (Medians.Of(steps[loss]) / ff).ToString("0.00", CultureInfo.InvariantCulture) : "-")} | {sparse[loss]}/{rounds + 1} |"));
        if (!phases)
            return 0;
        // Medians of each phase over the rounds: S is the bare product's median, the rest of the forward pass is the
        // forward pass without gradient minus it, and the backward pass is the step minus that forward pass.
        double product = Medians.Of(products);
        Console.WriteLine();
        Console.WriteLine("| loss (config) | step | S = Q·Kᵀ | rest of the forward pass (rows) | backward (G·K) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (string loss in losses)
        {
            double step = Medians.Of(steps[loss]), forward = Medians.Of(forwards[loss]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| `{loss}` | {step:0.0} ms | {product:0.0} ms | {forward - product:0.0} ms | {step - forward:0.0} ms |"));
        }
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
