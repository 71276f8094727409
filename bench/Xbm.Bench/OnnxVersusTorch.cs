using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Xbm.Export;
using Xbm.Inference;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 16's benchmark: embedding throughput (images/s) of an exported model on ONNX Runtime against the same model on
/// TorchSharp, same threads, same random batch, forward only (no decoding), model in eval mode without gradients.
/// Two models: the demo model (small CNN, width 16, d = 64, 28×28 grey) and ResNet-50 at 224 (d = 128), random
/// weights; TorchSharp runs them as the tool does (channels-last weights where oneDNN is on). Rounds alternate the two
/// runtimes; the verdict is the median over rounds of the ratio ONNX Runtime / TorchSharp within a round.
/// Usage: dotnet run -c Release --project bench/Xbm.Bench -- onnx [threads] [rounds] [seconds per measurement]
/// </summary>
public static class OnnxVersusTorch
{
    /// <summary>Runs the benchmark and prints a table per model; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        set_num_threads(threads);
        Console.WriteLine($"ONNX Runtime against TorchSharp: {threads} thread(s) each, {rounds} rounds, ≥ {seconds} s per measurement, {Environment.ProcessorCount} cores");
        Measure("small_cnn (demo model, width 16, d 64)", "small_cnn", 1, 28, 16, 64, batch: 64, threads, rounds, seconds);
        Measure("resnet50 at 224 (d 128)", "resnet50", 3, 224, 32, 128, batch: 8, threads, rounds, seconds);
        return 0;
    }

    private static void Measure(string title, string backbone, int channels, int side, long width, long dimension, int batch, int threads, int rounds, double seconds)
    {
        manual_seed(0);
        using var model = new EmbeddingModel(Xbm.Models.ModelFactory.CreateBackbone(backbone, new BackboneOptions(), channels, width), dimension);
        model.eval();
        var preprocessing = new ImagePreprocessing
        {
            Kind = PreprocessingKind.ResizeCrop, Channels = channels, ChannelOrder = channels == 1 ? "GREY" : "RGB", Width = side, Height = side,
            Mean = Enumerable.Repeat(0.0, channels).ToArray(), Std = Enumerable.Repeat(1.0, channels).ToArray(),
        };
        if (channels == 1)
            preprocessing = preprocessing with { Kind = PreprocessingKind.FixedSize };
        byte[] onnx = OnnxExporter.ToBytes(model, preprocessing);
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(onnx, options);
        using var run = new RunOptions();

        var random = new Random(1);
        var pixels = Enumerable.Range(0, batch * channels * side * side).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using var images = tensor(pixels, new long[] { batch, channels, side, side });
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, new long[] { batch, channels, side, side });
        string[] inputNames = [OnnxExporter.InputName], outputNames = [OnnxExporter.OutputName];

        void Torch()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.forward(images);
        }
        void Ort()
        {
            using var results = session.Run(run, inputNames, [input], outputNames);
        }

        Console.WriteLine();
        Console.WriteLine($"{title}: batch {batch}, {side}×{side}×{channels}, ONNX model {onnx.Length / 1024.0 / 1024.0:F1} MiB, channels-last TorchSharp weights");
        Torch();
        Ort(); // warm-up: first-call allocations and graph preparation
        Console.WriteLine("| round | TorchSharp (images/s) | ONNX Runtime (images/s) | ratio ONNX / TorchSharp |");
        Console.WriteLine("|---|---:|---:|---:|");
        var ratios = new List<double>();
        var torchRates = new List<double>();
        var ortRates = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            // Alternate which runtime goes first, so a drift of the machine's speed hits both alike.
            double t, o;
            if (r % 2 == 0)
            {
                t = Rate(Torch, batch, seconds);
                o = Rate(Ort, batch, seconds);
            }
            else
            {
                o = Rate(Ort, batch, seconds);
                t = Rate(Torch, batch, seconds);
            }
            torchRates.Add(t);
            ortRates.Add(o);
            ratios.Add(o / t);
            Console.WriteLine($"| {r} | {t:F1} | {o:F1} | {o / t:F3} |");
        }
        Console.WriteLine($"| median | {Median(torchRates):F1} | {Median(ortRates):F1} | **{Median(ratios):F3}** |");
    }

    private static double Rate(Action step, int batch, double seconds)
    {
        var clock = Stopwatch.StartNew();
        int steps = 0;
        do
        {
            step();
            steps++;
        }
        while (clock.Elapsed.TotalSeconds < seconds);
        return steps * batch / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
