using Xbm.Cli;
using Xbm.Runtime;

// Before anything loads libtorch: OpenMP workers sleep when idle, large buffers stay in the heap (docs/benchmarks.md).
NativeTuning.Apply();
return CliApp.Run(args);
