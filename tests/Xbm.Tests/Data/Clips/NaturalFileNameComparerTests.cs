using Xbm.Data.Clips;

namespace Xbm.Tests.Data.Clips;

public sealed class NaturalFileNameComparerTests
{
    [Fact]
    public void NumbersInNamesCompareByValue()
    {
        string[] names = ["frame_10.png", "frame_2.png", "frame_1.png", "frame_100.png", "frame_9.png", "img_3.jpg", "Frame_11.png"];
        var sorted = names.Order(NaturalFileNameComparer.Instance).ToList();
        Assert.Equal(["frame_1.png", "frame_2.png", "frame_9.png", "frame_10.png", "Frame_11.png", "frame_100.png", "img_3.jpg"], sorted);
    }

    [Fact]
    public void LeadingZerosAndTiesAreOrderedDeterministically()
    {
        var c = NaturalFileNameComparer.Instance;
        Assert.True(c.Compare("0009.jpg", "0010.jpg") < 0);
        Assert.True(c.Compare("7.jpg", "007.jpg") < 0);
        Assert.True(c.Compare("a2b10", "a2b9") > 0);
        Assert.True(c.Compare("a", "a1") < 0);
        Assert.True(c.Compare("1a", "a") < 0);
        Assert.Equal(0, c.Compare("x_12", "x_12"));
        Assert.True(c.Compare("X_12", "x_12") != 0);
        Assert.True(c.Compare("frame_99999999999999999999", "frame_100000000000000000000") < 0);
    }
}
