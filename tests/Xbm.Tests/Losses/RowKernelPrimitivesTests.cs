using System.Runtime.Intrinsics;
using Xbm.Losses;

namespace Xbm.Tests.Losses;

/// <summary>The vector exponential and the bucketed rank counts of the host row forms against closed forms and counting.</summary>
public class RowKernelPrimitivesTests
{
    [Fact]
    public void VectorExpMatchesMathExp()
    {
        double worst = 0;
        for (double x = -87; x <= 88.5; x += 0.0137)
        {
            var lanes = Vector256.Create((float)x);
            double expected = Math.Exp((float)x);
            double actual = VectorExp.Exp(lanes).GetElement(3);
            worst = Math.Max(worst, Math.Abs(actual - expected) / expected);
        }
        Assert.True(worst < 2e-7, $"worst relative error {worst:G3}");
        var specials = VectorExp.Exp(Vector256.Create(float.NegativeInfinity, -200f, 0f, 100f, float.PositiveInfinity, float.NaN, -1e-30f, 1f));
        Assert.Equal(0f, specials[0]);
        Assert.Equal(0f, specials[1]);
        Assert.Equal(1f, specials[2]);
        Assert.Equal(float.PositiveInfinity, specials[3]);
        Assert.Equal(float.PositiveInfinity, specials[4]);
        Assert.True(float.IsNaN(specials[5]));
        Assert.Equal(1f, specials[6]);
        Assert.Equal(MathF.E, specials[7], 6);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(5, 1)]
    [InlineData(300, 2)]
    [InlineData(300, 3)]
    public unsafe void SortedRanksCountLikeALinearScan(int count, int seed)
    {
        var random = new Random(seed);
        // Seed 3 draws from a handful of values: long runs of ties in one bucket (the collapsed case).
        float Draw() => seed == 3 ? random.Next(4) * 0.25f : (float)(random.NextDouble() * 2 - 1);
        var sorted = Enumerable.Range(0, count).Select(_ => Draw()).OrderBy(v => v).ToArray();
        var table = new int[SortedRanks.TableLength(count)];
        var probes = Enumerable.Range(0, 400).Select(_ => Draw()).Concat(sorted)
            .Concat(new[] { -5f, 5f, float.NegativeInfinity, float.PositiveInfinity, sorted[0], sorted[^1] }).ToArray();
        fixed (float* values = sorted)
        fixed (int* start = table)
        {
            var ranks = new SortedRanks(values, count, start);
            for (int i = 0; i + 8 <= probes.Length; i += 8)
            {
                var v = Vector256.Create(probes, i);
                var below = ranks.CountBelow(v);
                var atMost = ranks.CountAtMost(v);
                // The lane-by-lane path (no AVX2) gives the same counts.
                Assert.Equal(below, ranks.CountLanes(v, atMost: false));
                Assert.Equal(atMost, ranks.CountLanes(v, atMost: true));
                for (int lane = 0; lane < 8; lane++)
                {
                    float p = probes[i + lane];
                    Assert.Equal(sorted.Count(x => x < p), below[lane]);
                    Assert.Equal(sorted.Count(x => x <= p), atMost[lane]);
                }
            }
        }
    }
}
