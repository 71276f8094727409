using Xbm.Configuration;
using Xbm.Data;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Configuration;

/// <summary>
/// Every shipped config passes the same strict key checks as `xbm train` for the trainer, loss, miner and
/// memory sections, and the sampler and evaluation sections (data and model need the downloads and weights, and are checked elsewhere).
/// </summary>
public class PaperConfigKeysTests
{
    public static TheoryData<string> Files()
    {
        string root = Xbm.Tests.Models.PaperConfigTestsAccess.RepositoryRoot();
        return new TheoryData<string>(Directory.GetFiles(Path.Combine(root, "configs"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "base.yaml").Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TrainerLossAndMemorySectionsHaveOnlyKnownKeys(string file)
    {
        var config = ConfigLoader.Load(file);
        var memory = config.Section("memory", ConfigLoader.ShorthandKey("memory"));
        var sampler = SamplerConfig.Read(config.Section("sampler"), 0);
        var wiring = MemoryConfig.Read(memory);
        var options = TrainOptions.FromConfig(config, sampler, wiring.Wiring, EvaluationConfig.Read(config.Section("evaluation")));

        LossFactory.Create(config.Section("loss"), config.Section("miner"));

        long rows = memory.Has("size") ? memory.Long("size", 1000, min: 1) : 1000;
        var deltas = config.Has("drift") ? DriftMonitorOptions.FromConfig(config.Section("drift"), 0).Deltas : null;
        using var built = wiring.Create(8, rows, CPU, options.Iterations, deltas);
    }
}
