using System.Diagnostics;
using System.Globalization;
using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: the memory phase of the demo's step once its memory is full (Fashion-MNIST's training split: 35,000
/// keys of d = 64 in 5 classes, B = 16, the contrastive loss with margin 0.5, one thread), in the order the trainer
/// runs it: the finite check of the embeddings, the enqueue, the memory loss's forward pass, reading the loss, the
/// memory statistics, and the backward pass (through a linear head). The keys are random unit vectors; the queries
/// come from the head. Prints the median of each part over the steps after a warm-up.
/// Usage: Xbm.Bench memory-phase [steps=3000] [keys=35000]
/// </summary>
public static class MemoryPhase
{
    private const int B = 16, D = 64, Classes = 5, WarmUp = 500;

    /// <summary>Runs the measurement; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3000;
        int keys = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 35000;
        set_num_threads(1);
        manual_seed(0);
        var loss = MemoryLossBenchmarks.Create("contrastive;margin=0.5");
        using var memory = new CrossBatchMemory(keys, D);
        using var head = nn.Linear(D, D);
        using var input = randn(B, D);
        using var labels = randint(0, Classes, new long[] { B }, dtype: int64);
        using var indices = arange(0, B, dtype: int64);
        for (long t = 0; t * B < keys; t++)
            using (NewDisposeScope())
                memory.Enqueue(nn.functional.normalize(randn(B, D)), randint(0, Classes, new long[] { B }, dtype: int64), indices, t);
        var parts = new[] { "finite check", "enqueue", "memory loss, forward", "loss value", "memory statistics", "backward" };
        var times = parts.ToDictionary(p => p, _ => new List<double>());
        var clock = new Stopwatch();
        for (int step = 0; step < WarmUp + steps; step++)
        {
            using var scope = NewDisposeScope();
            var queries = nn.functional.normalize(head.call(input));
            int part = 0;
            void Mark()
            {
                if (step >= WarmUp)
                    times[parts[part]].Add(clock.Elapsed.TotalMicroseconds);
                part++;
                clock.Restart();
            }
            clock.Restart();
            if (!queries.detach().isfinite().all().item<bool>())
                throw new InvalidOperationException("the embeddings are not finite");
            Mark();
            var slots = memory.Enqueue(queries.detach(), labels, indices, keys + step);
            Mark();
            var output = loss.Compute(queries, labels, memory.Keys, memory.Labels, slots);
            Mark();
            _ = output.Loss.item<float>();
            Mark();
            _ = MemoryStatistics.Measure(memory, keys + step, output.Pairs);
            Mark();
            output.Loss.backward();
            Mark();
        }
        Console.WriteLine($"B {B}, {keys:N0} keys of d {D} in {Classes} classes, contrastive; median of {steps} steps after {WarmUp}");
        Console.WriteLine("| part | median |");
        Console.WriteLine("|---|---:|");
        foreach (string part in parts)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {part} | {Medians.Of(times[part]):0.0} µs |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| total | {parts.Sum(p => Medians.Of(times[p])):0.0} µs |"));
        return 0;
    }
}
