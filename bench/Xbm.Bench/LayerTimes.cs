using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xbm.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Xbm.Bench;

/// <summary>
/// Issue 18: the demo model's layers one at a time against PyTorch (bench/reference/small_cnn_layers.py, the same
/// layers and shapes): each layer's forward pass, and its backward pass (forward plus backward with a fixed upstream
/// gradient, minus the forward, each the best of the rounds; with the input's gradient, except for the images, as in
/// training), channels-last, training mode, a batch of 16; then the whole model
/// (backbone, pooling, head, normalisation) the same way. A BatchNorm with the ReLU it applies is one row, as in the
/// small CNN, against PyTorch's two layers summed. Shows whether the gap in training throughput lies in the
/// layers' kernels or around them. Usage: Xbm.Bench layers [rounds=3] [repetitions=1000] [threads=1]
/// </summary>
public static class LayerTimes
{
    /// <summary>Runs both sides and prints one row per layer; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int repetitions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        set_num_threads(threads);
        manual_seed(0);
        var ours = new Dictionary<string, (double Forward, double Both)>();
        var layers = Layers();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (name, module, shape) in layers)
            {
                // Training needs no gradient for the images: none for the first convolution's input and the model's.
                var (forward, both) = Time(module, shape, repetitions, inputGradient: name is not ("conv1" or "model"));
                ours[name] = ours.TryGetValue(name, out var best) ? (Math.Min(best.Forward, forward), Math.Min(best.Both, both)) : (forward, both);
            }
        }
        using var json = ReferenceScript.LastJson(TrainingThroughput.FindRepository(), "small_cnn_layers.py",
            new[] { "--rounds", $"{rounds}", "--repetitions", $"{repetitions}", "--threads", $"{threads}" });
        var theirs = json.RootElement.GetProperty("layers").EnumerateArray()
            .ToDictionary(l => l.GetProperty("name").GetString()!, l => (l.GetProperty("forward_us").GetDouble(), l.GetProperty("backward_us").GetDouble()));
        Console.WriteLine($"{threads} thread(s), best of {rounds} rounds of {repetitions} calls; PyTorch {json.RootElement.GetProperty("torch").GetString()}");
        Console.WriteLine("| layer | ours: forward | backward | PyTorch: forward | backward | ours / PyTorch (forward + backward) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        double oursSum = 0, theirsSum = 0;
        foreach (var (name, _, _) in layers)
        {
            var (f, b) = (ours[name].Forward, ours[name].Both - ours[name].Forward);
            var (tf, tb) = name.Split('+').Select(part => theirs[part]).Aggregate((x, y) => (x.Item1 + y.Item1, x.Item2 + y.Item2));
            if (name != "model")
            {
                oursSum += f + b;
                theirsSum += tf + tb;
            }
            else
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| sum of the layers | | {oursSum:0} µs | | {theirsSum:0} µs | {oursSum / theirsSum:0.00} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {f:0.0} µs | {b:0.0} µs | {tf:0.0} µs | {tb:0.0} µs | {(f + b) / (tf + tb):0.00} |"));
        }
        return 0;
    }

    // The backbone's layers in order, with their input shapes, then the whole embedding model.
    private static List<(string Name, Module<Tensor, Tensor> Module, long[] Shape)> Layers()
    {
        var layers = new List<(string, Module<Tensor, Tensor>, long[])>();
        void Block(int index, long channelsIn, long channelsOut, long size)
        {
            layers.Add(($"conv{index}", Conv2d(channelsIn, channelsOut, 3, padding: 1, bias: false), new[] { 16L, channelsIn, size, size }));
            // The small CNN's BatchNorm applies the ReLU after it; PyTorch's two layers are summed for the comparison.
            layers.Add(($"bn{index}+relu{index}", new BatchNorm2d(channelsOut, relu: true), new[] { 16L, channelsOut, size, size }));
        }
        Block(1, 1, 16, 28);
        Block(2, 16, 16, 28);
        layers.Add(("pool1", MaxPool2d(2), new[] { 16L, 16, 28, 28 }));
        Block(3, 16, 32, 14);
        Block(4, 32, 32, 14);
        layers.Add(("pool2", MaxPool2d(2), new[] { 16L, 32, 14, 14 }));
        Block(5, 32, 64, 7);
        layers.Add(("model", new EmbeddingModel(new SmallCnn(1, 16, new BackboneOptions()), 64), new[] { 16L, 1, 28, 28 }));
        foreach (var (_, module, _) in layers)
        {
            ChannelsLast.Apply(module);
            module.train();
        }
        return layers;
    }

    // Microseconds per call, after a warm-up: the forward pass, and forward plus backward.
    private static (double Forward, double Both) Time(Module<Tensor, Tensor> module, long[] shape, int repetitions, bool inputGradient)
    {
        // N, H, W, C storage viewed as N, C, H, W: channels-last strides.
        using var input = randn(shape[0], shape[2], shape[3], shape[1]).permute(0, 3, 1, 2).requires_grad_(inputGradient);
        Tensor gradient;
        using (var output = module.call(input))
            gradient = randn_like(output);
        using (gradient)
        {
            for (int i = 0; i < 50; i++)
            {
                using var scope = NewDisposeScope();
                module.call(input).backward(new[] { gradient });
            }
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repetitions; i++)
            {
                using var scope = NewDisposeScope();
                module.call(input);
            }
            double forward = clock.Elapsed.TotalMicroseconds / repetitions;
            clock.Restart();
            for (int i = 0; i < repetitions; i++)
            {
                using var scope = NewDisposeScope();
                module.call(input).backward(new[] { gradient });
            }
            return (forward, clock.Elapsed.TotalMicroseconds / repetitions);
        }
    }
}
