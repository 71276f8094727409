using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

public class MomentFilterTests
{
    private static (Tensor Mean, Tensor Std) Moments(int step) =>
        (tensor(new[] { (float)Math.Sin(step), 0.1f * step, -1f }), tensor(new[] { 0.5f + 0.01f * step, 1f, (float)(1 + Math.Cos(step)) }));

    [Fact]
    public void ConstantGainIsAnExponentialMovingAverage()
    {
        using var scope = NewDisposeScope();
        const double m = 0.1;
        using var filter = MomentFilter.ConstantGain(1 - m);
        double[] mean = Array.Empty<double>(), std = Array.Empty<double>();
        for (int step = 0; step < 10; step++)
        {
            var (bm, bs) = Moments(step);
            var (em, es) = filter.Update(bm, bs, 16);
            double[] batchMean = bm.to(float64).data<double>().ToArray(), batchStd = bs.to(float64).data<double>().ToArray();
            // μ_t = m·μ_{t−1} + (1 − m)·E[B_t], starting at the first batch's moments.
            mean = step == 0 ? batchMean : mean.Zip(batchMean, (a, b) => m * a + (1 - m) * b).ToArray();
            std = step == 0 ? batchStd : std.Zip(batchStd, (a, b) => m * a + (1 - m) * b).ToArray();
            var gotMean = em.to(float64).data<double>().ToArray();
            var gotStd = es.to(float64).data<double>().ToArray();
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(mean[j], gotMean[j], 5);
                Assert.Equal(std[j], gotStd[j], 5);
            }
        }
        Assert.Equal(1 - m, filter.Gain, 12);
    }

    [Fact]
    public void ZeroMeasurementNoiseGivesUnitGainAndTheBatchMomentsBitForBit()
    {
        using var scope = NewDisposeScope();
        using var filter = MomentFilter.Kalman(p0: 1, q: 1, r: 0, refreshInterval: 4);
        for (int step = 0; step < 9; step++)
        {
            var (bm, bs) = Moments(step);
            var (em, es) = filter.Update(bm, bs, 8);
            Assert.True(Tensors.Same(em, bm));
            Assert.True(Tensors.Same(es, bs));
        }
        Assert.Equal(1.0, filter.Gain);
        // q = 0 as well: p reaches 0 and the gain 0/0 is taken as 1.
        using var still = MomentFilter.Kalman(p0: 1, q: 0, r: 0, refreshInterval: 1);
        for (int step = 0; step < 4; step++)
        {
            var (bm, bs) = Moments(step);
            Assert.True(Tensors.Same(still.Update(bm, bs, 8).Mean, bm));
        }
    }

    [Fact]
    public void TheGainFollowsTheKalmanRecursionAndIsHeldBetweenRefreshes()
    {
        using var scope = NewDisposeScope();
        const double p0 = 1, q = 1, r = 0.01;
        const long b = 64, interval = 100;
        using var filter = MomentFilter.Kalman(p0, q, r, interval);
        var (m0, s0) = Moments(0);
        filter.Update(m0, s0, b); // initialises the estimates
        Assert.Equal(0, filter.Updates);

        double p = p0, k = double.NaN;
        for (int update = 1; update <= 1000; update++)
        {
            if ((update - 1) % interval == 0)
            {
                p += q;
                k = p / (p + r / b);
                p *= 1 - k;
            }
            var (bm, bs) = Moments(update);
            filter.Update(bm, bs, b);
            Assert.Equal(k, filter.Gain, 14);
            Assert.Equal(p, filter.P, 14);
        }
    }

    [Fact]
    public void TheGainSettlesAtTheClosedForm()
    {
        using var scope = NewDisposeScope();
        // docs/design.md defaults p0 = 1, q = 1, r = 0.01, batch 64: the measurement noise is r/B = 1.5625e-4.
        using var filter = MomentFilter.Kalman(1, 1, 0.01, refreshInterval: 100);
        for (int step = 0; step <= 1000; step++)
        {
            var (bm, bs) = Moments(step);
            filter.Update(bm, bs, 64);
        }
        double closed = MomentFilter.SteadyStateGain(1, 0.01, 64);
        Assert.Equal(closed, filter.Gain, 12);
        // Independently: p* solves p² + q·p − q·s = 0 with s = r/B; K* = (p* + q)/(p* + q + s).
        double s = 0.01 / 64, pStar = (-1 + Math.Sqrt(1 + 4 * s)) / 2;
        Assert.Equal((pStar + 1) / (pStar + 1 + s), closed, 12);
        Assert.InRange(closed, 0.99984, 0.99985);
        // The "about 0.990" is the same fixed point with r/B = 0.01, i.e. B = 1 (or r = 0.64 at B = 64).
        Assert.InRange(MomentFilter.SteadyStateGain(1, 0.01, 1), 0.9900, 0.9905);
        Assert.Equal(MomentFilter.SteadyStateGain(1, 0.64, 64), MomentFilter.SteadyStateGain(1, 0.01, 1), 12);
    }

    [Fact]
    public void SaveAndLoadRestoreTheFilter()
    {
        using var scope = NewDisposeScope();
        using var a = MomentFilter.Kalman(1, 0.5, 0.2, 3);
        for (int step = 0; step < 5; step++)
        {
            var (bm, bs) = Moments(step);
            a.Update(bm, bs, 4);
        }
        using var state = new MemoryState { Kind = "test" };
        a.Save(state);
        using var b = MomentFilter.Kalman(1, 0.5, 0.2, 3);
        b.Load(state, CPU, ScalarType.Float32);
        Assert.Equal(a.P, b.P);
        Assert.Equal(a.Gain, b.Gain);
        Assert.Equal(a.Updates, b.Updates);
        for (int step = 5; step < 12; step++)
        {
            var (bm, bs) = Moments(step);
            var (am, astd) = a.Update(bm, bs, 4);
            var (cm, cstd) = b.Update(bm, bs, 4);
            Assert.True(Tensors.Same(am, cm));
            Assert.True(Tensors.Same(astd, cstd));
            Assert.Equal(a.Gain, b.Gain);
        }
    }

    [Fact]
    public void RejectsBadParameters()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentFilter.Kalman(-1, 1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentFilter.Kalman(1, 1, double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentFilter.Kalman(1, 1, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentFilter.ConstantGain(1.5));
    }
}
