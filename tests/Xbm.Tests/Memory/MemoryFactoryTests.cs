using Xbm.Configuration;
using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

public class MemoryFactoryTests
{
    internal static ConfigSection Section(params (string Key, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => v.Value), "test.yaml", "memory");

    [Fact]
    public void DefaultsToAFifoOfTheDatasetSize()
    {
        using var memory = MemoryFactory.Create(Section(), 16, 300, CPU);
        var fifo = Assert.IsType<CrossBatchMemory>(memory);
        Assert.Equal(300, fifo.Capacity);
        Assert.Equal(16, fifo.Dimension);
    }

    [Fact]
    public void BuildsEveryKindWithItsOptions()
    {
        using (var fifo = MemoryFactory.Create(Section(("kind", "fifo"), ("size", "50")), 8, 300, CPU))
            Assert.Equal(50, Assert.IsType<CrossBatchMemory>(fifo).Capacity);

        using (var bank = MemoryFactory.Create(Section(("kind", "momentum"), ("momentum", "0.7")), 8, 300, CPU))
        {
            var m = Assert.IsType<MomentumMemory>(bank);
            Assert.Equal(300, m.Capacity);
            Assert.Equal(0.7, m.Momentum);
        }
        using (var bank = MemoryFactory.Create(Section(("kind", "momentum")), 8, 300, CPU))
            Assert.Equal(MomentumMemory.DefaultMomentum, Assert.IsType<MomentumMemory>(bank).Momentum);

        using (var xbn = MemoryFactory.Create(Section(("kind", "xbn"), ("size", "40"), ("eps", "1e-6"), ("renormalise_in_place", "true")), 8, 300, CPU))
        {
            var x = Assert.IsType<CrossBatchNorm>(xbn);
            Assert.Equal(40, x.Capacity);
            Assert.Equal(1e-6, x.Epsilon);
            Assert.True(x.RenormaliseInPlace);
            Assert.Equal(MomentFilterKind.Batch, x.Filter.Kind);
            Assert.Equal("xbn", x.Kind);
        }

        using (var axbn = MemoryFactory.Create(Section(("kind", "adaptive_xbn")), 8, 300, CPU))
        {
            var x = Assert.IsType<CrossBatchNorm>(axbn);
            Assert.Equal(MomentFilterKind.Kalman, x.Filter.Kind);
            Assert.Equal((1.0, 1.0, 0.01, 100L), (x.Filter.P0, x.Filter.Q, x.Filter.R, x.Filter.RefreshInterval));
            Assert.Equal(CrossBatchNorm.DefaultEpsilon, x.Epsilon);
            Assert.False(x.RenormaliseInPlace);
        }
        using (var axbn = MemoryFactory.Create(Section(("kind", "adaptive_xbn"), ("p0", "2"), ("q", "0.5"), ("r", "0"), ("refresh_interval", "7")), 8, 300, CPU))
        {
            var f = Assert.IsType<CrossBatchNorm>(axbn).Filter;
            Assert.Equal((2.0, 0.5, 0.0, 7L), (f.P0, f.Q, f.R, f.RefreshInterval));
        }

        using (var ema = MemoryFactory.Create(Section(("kind", "ema")), 8, 300, CPU))
        {
            var x = Assert.IsType<CrossBatchNorm>(ema);
            Assert.Equal(MomentFilterKind.ConstantGain, x.Filter.Kind);
            Assert.Equal("ema", x.Kind);
        }
    }

    [Fact]
    public void EmaMomentumSetsTheGain()
    {
        using var scope = NewDisposeScope();
        using var ema = (CrossBatchNorm)MemoryFactory.Create(Section(("kind", "ema"), ("momentum", "0.25")), 2, 10, CPU);
        ema.Enqueue(tensor(new float[] { 1, 0, 0, 1 }).reshape(2, 2), zeros(2, dtype: int64), zeros(2, dtype: int64), 1);
        ema.Enqueue(tensor(new float[] { 1, 0, 0, 1 }).reshape(2, 2), zeros(2, dtype: int64), zeros(2, dtype: int64), 2);
        Assert.Equal(0.75, ema.Filter.Gain, 12);
    }

    [Theory]
    [InlineData("kind", "lifo", "memory.kind: 'lifo' is not one of")]
    [InlineData("size", "0", "memory.size: 0 is out of range")]
    [InlineData("size", "-5", "memory.size: -5 is out of range")]
    public void RejectsBadValuesNamingTheKey(string key, string value, string message)
    {
        var error = Assert.Throws<ConfigException>(() => MemoryFactory.Create(Section((key, value)), 8, 300, CPU));
        Assert.Contains("test.yaml", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void TheMomentumBankRejectsASizeOtherThanTheDatasetSize()
    {
        var error = Assert.Throws<ConfigException>(() => MemoryFactory.Create(Section(("kind", "momentum"), ("size", "100")), 8, 300, CPU));
        Assert.Contains("memory.size", error.Message);
        Assert.Contains("300", error.Message);
        using var same = MemoryFactory.Create(Section(("kind", "momentum"), ("size", "300")), 8, 300, CPU);
        Assert.Equal(300, same.Capacity);
    }

    [Theory]
    [InlineData("fifo", "momentum")]
    [InlineData("fifo", "eps")]
    [InlineData("xbn", "r")]
    [InlineData("xbn", "momentum")]
    [InlineData("momentum", "renormalise_in_place")]
    [InlineData("ema", "refresh_interval")]
    public void AnOptionOfAnotherKindIsAnError(string kind, string key)
    {
        var error = Assert.Throws<ConfigException>(() => MemoryFactory.Create(Section(("kind", kind), (key, "1")), 8, 300, CPU));
        Assert.Contains($"memory.{key}", error.Message);
        Assert.Contains($"does not apply to memory kind '{kind}'", error.Message);
    }

    [Theory]
    [InlineData("eps", "0")]
    [InlineData("r", "-1")]
    [InlineData("refresh_interval", "0")]
    [InlineData("momentum", "1.5")]
    public void RejectsOutOfRangeOptions(string key, string value)
    {
        string kind = key == "momentum" ? "ema" : "adaptive_xbn";
        var error = Assert.Throws<ConfigException>(() => MemoryFactory.Create(Section(("kind", kind), (key, value)), 8, 300, CPU));
        Assert.Contains($"memory.{key}", error.Message);
    }

    [Fact]
    public void FactoryKeysAreMarkedUsedSoTheTrainerCanCheckTheRest()
    {
        foreach (string kind in MemoryFactory.Kinds)
        {
            var values = MemoryFactory.KeysFor(kind).Select(k => (k, (object?)(k switch
            {
                "kind" => kind,
                "size" => "300",
                "renormalise_in_place" => "false",
                "refresh_interval" => "10",
                _ => "0.5",
            }))).Append(("weight", "1")).ToArray();
            var section = Section(values);
            using var memory = MemoryFactory.Create(section, 8, 300, CPU);
            Assert.All(MemoryFactory.KeysFor(kind), k => Assert.Contains(k, MemoryFactory.Keys));
            // The trainer's key is still unread: EnsureAllUsed names it ...
            Assert.Contains("memory.weight", Assert.Throws<ConfigException>(section.EnsureAllUsed).Message);
            // ... and once the trainer reads it, every key is accounted for.
            section.Double("weight", 1);
            section.EnsureAllUsed();
        }
    }
}
