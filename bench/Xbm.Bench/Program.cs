using System.Globalization;
using BenchmarkDotNet.Running;
using Xbm.Bench;

// Native settings first: they must be in place before TorchSharp loads libtorch (see NativeTuning).
Console.WriteLine($"Native tuning: {NativeTuning.Apply()}");

// Runs every benchmark class of this assembly (pick with --filter, e.g. --filter '*MemoryLoss*'; '*' for all).
// In-process toolchain, so the TorchSharp native-load fix of this build applies (see BenchConfig).
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create()).ToList();

// Post-run summary: the ratio of each benchmark to the bare product of its class (SPEC section 7).
foreach (var summary in summaries)
{
    var rows = summary.BenchmarksCases
        .Select(c => (Case: c, Median: summary[c]?.ResultStatistics?.Median, Ratio: RatioToMatmulColumn.Ratio(summary, c)))
        .Where(r => r.Ratio is not null)
        .ToList();
    if (rows.Count == 0)
        continue;
    Console.WriteLine();
    Console.WriteLine($"Ratios of median times to the bare product ({Environment.ProcessorCount} cores):");
    foreach (var (c, median, ratio) in rows)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {c.Descriptor.WorkloadMethod.Name,-20} {string.Join(",", c.Parameters.Items.Select(p => p.Value)),-40} {median / 1e6,9:0.0} ms  ratio {ratio:0.00}"));
}
