using Xbm.Configuration;

namespace Xbm.Tests.Configuration;

public sealed class ConfigDiffTests
{
    [Fact]
    public void NamesEveryChangedLeafWithOldAndNewValues()
    {
        var old = ConfigLoader.Parse("iterations: 10\noptimizer:\n  name: adam\n  lr: 1.0e-3\nmemory: none\nrecall: [1, 2]\n", "old.yaml").Values;
        var @new = ConfigLoader.Parse("iterations: 10\noptimizer:\n  name: adam\n  lr: 0.01\nmemory:\n  kind: fifo\nrecall: [1, 4]\nseed: 3\n", "new.yaml").Values;
        var changes = ConfigDiff.Between(old, @new).Select(c => c.ToString()).ToList();
        Assert.Equal(["memory: none → (unset)", "memory.kind: (unset) → fifo", "optimizer.lr: 1.0e-3 → 0.01", "recall: [1, 2] → [1, 4]", "seed: (unset) → 3"], changes);
        Assert.Empty(ConfigDiff.Between(old, old));
    }
}
