using Xbm.Losses;
using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

public class MemoryStatisticsTests
{
    [Fact]
    public void MeasuresFillAndTheOldestRowsAge()
    {
        using var scope = NewDisposeScope();
        using var memory = new CrossBatchMemory(6, 2);
        var empty = MemoryStatistics.Measure(memory, 5);
        Assert.Equal((0L, 6L, 0L, 0L, 0L), (empty.Count, empty.Capacity, empty.OldestAge, empty.Positives, empty.Negatives));
        Assert.True(double.IsNaN(empty.MeanPositiveSimilarity));

        for (int it = 10; it <= 13; it++)
            memory.Enqueue(zeros(2, 2), zeros(2, dtype: int64), zeros(2, dtype: int64), it);
        // Capacity 6, two rows per iteration: rows of iterations 11, 12, 13 remain.
        var stats = MemoryStatistics.Measure(memory, 20, new PairStatistics(3, 4, 0.5, 0.1));
        Assert.Equal(20, stats.Iteration);
        Assert.Equal(6, stats.Count);
        Assert.Equal(1.0, stats.Fill);
        Assert.Equal(9, stats.OldestAge);
        Assert.Equal((3L, 4L, 0.5, 0.1), (stats.Positives, stats.Negatives, stats.MeanPositiveSimilarity, stats.MeanNegativeSimilarity));
    }
}
