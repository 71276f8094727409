// Benchmarks: BenchmarkDotNet suites, plus custom measured runs.
if (args.Length > 0 && args[0] == "throughput")
    return Xbm.Bench.TrainingThroughput.Run(args[1..]);
if (args.Length > 0 && args[0] == "step")
    return Xbm.Bench.StepTiming.Run(args[1..]);
System.Console.WriteLine("usage: throughput [iterations] [configs-folder]");
return 0;
