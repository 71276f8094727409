using Xbm.Training;

namespace Xbm.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void WarmUpIsLinearThenConstant()
    {
        var s = new LearningRateSchedule(0.1, new ScheduleOptions("constant", WarmupIterations: 10), 100);
        Assert.Equal(0.01, s.At(1), 12);
        Assert.Equal(0.05, s.At(5), 12);
        Assert.Equal(0.1, s.At(10), 12);
        Assert.Equal(0.1, s.At(100), 12);
    }

    [Fact]
    public void StepDividesAfterEachMilestone()
    {
        var s = new LearningRateSchedule(3e-4, new ScheduleOptions("step", StepAt: new long[] { 24000 }, Gamma: 0.1), 34000);
        Assert.Equal(3e-4, s.At(24000), 15);
        Assert.Equal(3e-5, s.At(24001), 15);
    }

    [Fact]
    public void CosineFollowsTheClosedForm()
    {
        var s = new LearningRateSchedule(1.0, new ScheduleOptions("cosine", WarmupIterations: 0, MinimumFactor: 0.1), 100);
        for (long t = 0; t <= 100; t += 10)
            Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * t / 100.0)), s.At(t), 12);
    }
}
