using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Xbm.Bench;

/// <summary>
/// The configuration shared by every benchmark in this assembly: in-process (the default out-of-process
/// toolchain generates and builds a separate project, where the TorchSharp native-load fix of this build does not
/// apply), modest iteration counts (each operation takes tens to hundreds of milliseconds on the 2-core machine),
/// one invocation per iteration, and the ratio columns (<see cref="RatioToMatmulColumn"/>, <see cref="PairedRatioColumn"/>).
/// </summary>
public static class BenchConfig
{
    /// <summary>Creates the configuration.</summary>
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(2)
            .WithIterationCount(20)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("InProcess"))
        .AddColumn(new RatioToMatmulColumn(), new RatioToMatmulColumn(minimum: true), new PairedRatioColumn(), StatisticColumn.Median, StatisticColumn.Min)
        .WithOptions(ConfigOptions.JoinSummary);
}
