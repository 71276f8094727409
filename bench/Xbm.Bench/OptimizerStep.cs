using System.Diagnostics;
using TorchSharp;
using System.Globalization;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: the per-step cost of the optimizer on the demo model (17 parameter tensors, 39,184 values), one thread:
/// our Adam step (the host form on CPU), the gradient norm the trainer takes before it (<see cref="Xbm.Training.GradientNorm"/>)
/// and the same norm with one libtorch reduction per tensor (the trainer's before the host form), and the same Adam
/// arithmetic as libtorch calls on one flat buffer of all the values (what a step over flattened parameters would
/// cost). Prints the median of the repetitions; compare a build from before the host form in the same sitting.
/// Usage: Xbm.Bench optimizer [repetitions=1000]
/// </summary>
public static class OptimizerStep
{
    /// <summary>Runs the measurement; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        set_num_threads(1);
        manual_seed(0);
        using var model = new EmbeddingModel(new SmallCnn(1, 16, new BackboneOptions()), 64);
        var parameters = model.parameters().ToArray();
        long values = parameters.Sum(p => p.numel());
        using var optimizer = new Xbm.Training.Optimizers.Adam(parameters, 3e-4);
        using var input = randn(16, 1, 28, 28);
        using (NewDisposeScope())
            model.call(input).sum().backward();
        Console.WriteLine($"demo model: {parameters.Length} parameter tensors, {values:N0} values; median of {repetitions} calls");
        Console.WriteLine("| what | median |");
        Console.WriteLine("|---|---:|");
        Report("our Adam step", Median(repetitions, () => optimizer.step()));
        Report("gradient norm (GradientNorm.Of)", Median(repetitions, () => Xbm.Training.GradientNorm.Of(parameters)));
        Report("gradient norm (one libtorch reduction per parameter tensor, then one sum)", Median(repetitions, () =>
            stack(parameters.Select(p => p.grad!.pow(Scalars.Two).sum()).ToArray()).sum().item<float>()));
        using var flat = randn(values);
        using var gradient = randn(values);
        using var first = zeros(values);
        using var second = zeros(values);
        using var beta1 = 0.9.ToScalar();
        using var beta2 = 0.999.ToScalar();
        using var oneMinusBeta1 = 0.1.ToScalar();
        using var oneMinusBeta2 = 0.001.ToScalar();
        using var eps = 1e-8.ToScalar();
        using var step = (-3e-4).ToScalar();
        Report("the same Adam arithmetic on one flat buffer", Median(repetitions, () =>
        {
            first.mul_(beta1).add_(gradient, oneMinusBeta1);
            second.mul_(beta2).addcmul_(gradient, gradient, oneMinusBeta2);
            flat.addcdiv_(first, second.sqrt().add_(eps), step);
        }));
        Report("gradient norm of one flat buffer", Median(repetitions, () => gradient.norm().item<float>()));
        return 0;
    }

    // The median time of the calls in microseconds, each call in its own dispose scope, after a warm-up.
    private static double Median(int repetitions, Action action)
    {
        var times = new List<double>();
        var clock = new Stopwatch();
        for (int i = -50; i < repetitions; i++)
        {
            clock.Restart();
            using (NewDisposeScope())
                action();
            if (i >= 0)
                times.Add(clock.Elapsed.TotalMicroseconds);
        }
        return Medians.Of(times);
    }

    private static void Report(string what, double microseconds) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {microseconds:0.0} µs |"));
}
