using Xbm.Configuration;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Configuration;

/// <summary>
/// Every shipped config passes the same strict key checks as `xbm train` for the trainer, loss, miner and
/// memory sections (data and model need the downloads and weights, and are checked elsewhere).
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
        var options = TrainOptions.FromConfig(config, memory);
        LossFactory.Create(config.Section("loss"), config.Section("miner"));
        if (options.Memory.Enabled)
        {
            long rows = memory.Long("size", 1000, min: 1);
            using var built = MemoryFactory.Create(memory, 8, rows, CPU);
        }
        memory.EnsureAllUsed();
    }
}
