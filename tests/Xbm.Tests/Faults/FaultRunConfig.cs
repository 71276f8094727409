using Xbm.Tests.Data;

namespace Xbm.Tests.Faults;

/// <summary>
/// The small `xbm train` configuration the fault tests run in child processes: the Fashion-MNIST fixture, a tiny CNN,
/// a FIFO memory, checkpoints every 7 iterations (the last 2 kept), every iteration logged, no evaluation.
/// </summary>
internal static class FaultRunConfig
{
    /// <summary>Writes the configuration to <paramref name="path"/> and returns the path.</summary>
    public static string Write(string path, string name, int seed, int iterations, int memoryStart)
    {
        File.WriteAllText(path, $"""
            name: {name}
            seed: {seed}
            threads: 1
            iterations: {iterations}
            data: {"{"}dataset: fashion_mnist, root: "{FashionFixture.Root}", max_per_class: 30{"}"}
            model: {"{"}backbone: small_cnn, dimension: 8, width: 4{"}"}
            sampler: {"{"}classes_per_batch: 2, images_per_class: 4{"}"}
            loss: contrastive
            optimizer: {"{"}name: adam, lr: 0.001{"}"}
            memory: {"{"}kind: fifo, start_iteration: {memoryStart}{"}"}
            evaluation: {"{"}every: 0{"}"}
            checkpoint: {"{"}every: 7, keep: 2{"}"}
            logging: {"{"}every: 1, tensorboard: false{"}"}
            """);
        return path;
    }
}
