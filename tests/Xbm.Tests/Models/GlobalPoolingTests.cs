using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

public class GlobalPoolingTests
{
    private static Tensor Map() => tensor(new float[] { 1, -2, 3, 6, /* channel 2 */ -1, -1, -4, 2 }, [1, 2, 2, 2]);

    [Theory]
    [InlineData("avg", 2f, -1f)]
    [InlineData("max", 6f, 2f)]
    [InlineData("avg+max", 8f, 1f)]
    public void PoolsEachChannelOverTheSpatialPositions(string name, float first, float second)
    {
        using var scope = NewDisposeScope();
        using var pool = new GlobalPooling(GlobalPooling.Parse(name));
        var pooled = pool.forward(Map());
        Assert.Equal(new long[] { 1, 2 }, pooled.shape);
        Assert.Equal(new[] { first, second }, pooled.data<float>().ToArray());
        Assert.Equal(name, GlobalPooling.NameOf(pool.Kind));
    }

    [Fact]
    public void UnknownNameIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => GlobalPooling.Parse("mean"));
        Assert.Contains("avg, max, avg+max", e.Message);
    }

    [Fact]
    public void PoolingHasNoParametersSoStateDictNamesDoNotChange()
    {
        using var avg = new ResNet(18, new BackboneOptions { Pooling = GlobalPoolingKind.Average });
        using var max = new ResNet(18);
        Assert.Equal(GlobalPoolingKind.Max, max.Pooling);
        Assert.Equal(avg.state_dict().Keys.Order(), max.state_dict().Keys.Order());
    }
}
