using System.Globalization;
using BenchmarkDotNet.Running;
using Xbm.Bench;
using Xbm.Runtime;

// Native settings first: they must be in place before TorchSharp loads libtorch (see NativeTuning).
// The long run measures resident memory as the xbm tool runs, so it keeps the tool's setting (no heap retention).
Console.WriteLine($"Native tuning: {NativeTuning.Apply(heapRetention: args.FirstOrDefault() != "long-run")}; {OneDnnGuard.Apply()}; {MklDispatch.Apply()}");

// Custom measured runs (not BenchmarkDotNet): whole training runs and single steps.
Func<string[], int>? mode = args.Length == 0 ? null : args[0] switch
{
    "throughput" => TrainingThroughput.Run,
    "step" => StepTiming.Run,
    "evaluation" => EvaluationBenchmark.Run,
    "long-run" => LongRun.Run,
    "pytorch" => PyTorchComparison.Run,
    "resnet" => ResNetComparison.Run,
    "peak" => PeakProduct.Run,
    "products" => ProductStrategies.Run,
    "host-products" => HostProducts.Run,
    "fused-step" => FusedStepComparison.Run,
    "layers" => LayerTimes.Run,
    "optimizer" => OptimizerStep.Run,
    "memory-phase" => MemoryPhase.Run,
    "loader" => LoaderVersusTraining.Run,
    "memory-kinds" => MemoryKindBenchmark.Run,
    "loss-step" => LossStepRatios.Run,
    "onnx" => OnnxVersusTorch.Run,
    "serve" => ServeLoad.Run,
    _ => null,
};
if (mode is not null)
    return mode(args[1..]);

// Runs every benchmark class of this assembly (pick with --filter, e.g. --filter '*MemoryLoss*'; '*' for all).
// In-process toolchain, so the TorchSharp native-load fix of this build applies (see BenchConfig).
var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, BenchConfig.Create()).ToList();

// Post-run summary: the ratio of each benchmark to the bare product of its class (docs/design.md §7).
foreach (var summary in summaries)
{
    var rows = summary.BenchmarksCases
        .Select(c => (Case: c, Statistics: summary[c]?.ResultStatistics, Ratio: RatioToMatmulColumn.Ratio(summary, c),
            Best: RatioToMatmulColumn.Ratio(summary, c, minimum: true), Paired: PairedRatioColumn.Median(PairedRatioColumn.Key(c))))
        .Where(r => r.Ratio is not null && r.Statistics is not null)
        .ToList();
    if (rows.Count == 0)
        continue;
    Console.WriteLine();
    Console.WriteLine($"Ratios to the bare product ({Environment.ProcessorCount} cores): | method | arguments | median | min | median/median | min/min | paired |");
    foreach (var (c, statistics, ratio, best, paired) in rows)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  | {c.Descriptor.WorkloadMethod.Name,-20} | {string.Join(",", c.Parameters.Items.Select(p => p.Value)),-38} | {statistics!.Median / 1e6,7:0.0} ms | {statistics.Min / 1e6,7:0.0} ms | {ratio,5:0.00} | {best,5:0.00} | {(paired is double v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "-"),5} |"));
}
return 0;
