using Xbm.Configuration;
using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

/// <summary>The memory section's one owner: wiring and storage read, built and reconciled together.</summary>
public class MemoryConfigTests
{
    private static ConfigSection Section(params (string Key, object? Value)[] values) => MemoryFactoryTests.Section(values);

    [Fact]
    public void ReadsTheWiringAndBuildsTheMemory()
    {
        var config = MemoryConfig.Read(Section(("kind", "fifo"), ("size", "40"), ("start_iteration", "3"), ("weight", "0.5"), ("memory_loss_only", "true")));
        Assert.Equal(new XbmOptions(true, 3, 0.5, true), config.Wiring);
        using var memory = config.Create(8, 300, CPU, iterations: 10, driftDeltas: null);
        Assert.Equal(40, memory!.Capacity);
    }

    [Fact]
    public void NoSectionOrNoneIsOffAndBuildsNothing()
    {
        foreach (var section in new[] { Section(), Section(("kind", "none")) })
        {
            var config = MemoryConfig.Read(section);
            Assert.False(config.Wiring.Enabled);
            Assert.Null(config.Create(8, 300, CPU, iterations: 10, driftDeltas: null));
        }
    }

    [Fact]
    public void KeysOfAnOffMemoryStartsPastTheEndAndAdaptiveStartsWithoutDriftAreErrorsNamingTheKey()
    {
        var off = Assert.Throws<ConfigException>(() => MemoryConfig.Read(Section(("kind", "none"), ("weight", "2"))).Create(8, 300, CPU, 10, null));
        Assert.StartsWith("test.yaml: memory.weight: the memory is off", off.Message);
        var late = Assert.Throws<ConfigException>(() => MemoryConfig.Read(Section(("start_iteration", "11"))).Create(8, 300, CPU, 10, null));
        Assert.Equal("test.yaml: memory.start_iteration: 11 is past the end of training (iterations: 10)", late.Message);
        var blind = Assert.Throws<ConfigException>(() => MemoryConfig.Read(Section(("start_drift", "0.1"))).Create(8, 300, CPU, 10, null));
        Assert.StartsWith("test.yaml: memory.start_drift: the adaptive start watches the measured drift", blind.Message);
        var delta = Assert.Throws<ConfigException>(() => MemoryConfig.Read(Section(("start_drift", "0.1"), ("start_drift_delta", "7"))).Create(8, 300, CPU, 10, [10L, 100L]));
        Assert.Equal("test.yaml: memory.start_drift_delta: 7 is not among drift.deltas (10, 100)", delta.Message);
        var unknown = Assert.Throws<ConfigException>(() => MemoryConfig.Read(Section(("wieght", "2"))).Create(8, 300, CPU, 10, null));
        Assert.StartsWith("test.yaml: memory.wieght: unknown key", unknown.Message);
    }
}
