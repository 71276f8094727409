using System.Runtime.CompilerServices;

namespace Xbm.Tests;

internal static class TestSetup
{
    /// <summary>
    /// xunit runs test classes in parallel on the CI's 2 cores; one intra-op thread per test avoids OpenMP
    /// oversubscription, which is an order of magnitude slower than running single-threaded.
    /// </summary>
    [ModuleInitializer]
    internal static void SingleThreadedTorch()
    {
        TorchSharp.torch.set_num_threads(1);
        Xbm.Training.TrainingRun.DefaultThreads = 1;
    }
}
