using Xbm.Evaluation;

namespace Xbm.Tests.Evaluation;

/// <summary>The scan selection on its own: against a full sort, for tie-heavy and continuous values and many k.</summary>
public class RunningTopKTests
{
    /// <summary>
    /// A starting threshold keeps only the values above it; a row left with fewer than k is reported short, and once
    /// reset and offered again from −∞ it holds its k best.
    /// </summary>
    [Fact]
    public void RowsStartedAboveTheirKthBestAreShortUntilSearchedAgain()
    {
        const int rows = 3, columns = 40, k = 5;
        var block = new float[rows * columns];
        for (int i = 0; i < block.Length; i++)
            block[i] = (i % columns) / (float)columns; // each row: 0, 0.025, ..., 0.975
        using var topk = new RunningTopK(rows, k);
        topk.Reset(rows);
        topk.StartFrom(new[] { 0.5f, 0.95f, 0.9f }); // 19, 1 and 3 values above
        topk.Offer(block, rows, columns, 0, excludeSelf: false, firstQuery: 0, threads: 1);
        Assert.Equal(new[] { 1, 2 }, topk.ShortRows());
        foreach (int row in topk.ShortRows())
        {
            topk.ResetRow(row);
            unsafe
            {
                fixed (float* values = block)
                    topk.OfferRow(row, values + row * columns, columns, 0, -1);
            }
        }
        Assert.Empty(topk.ShortRows());
        var indices = new long[rows * k];
        var similarities = new float[rows * k];
        topk.Drain(indices, similarities, 1);
        for (int row = 0; row < rows; row++)
            Assert.Equal(new long[] { 39, 38, 37, 36, 35 }, indices.Skip(row * k).Take(k));
    }

    [Theory]
    [InlineData(1, 1, 3, false)]
    [InlineData(2, 5, 4, true)]
    [InlineData(7, 300, 3, true)]
    [InlineData(64, 300, 5, true)]
    [InlineData(64, 300, 5, false)]
    [InlineData(100, 17, 30, false)]
    [InlineData(250, 1000, 2, true)]
    public void KeepsTheBestInNeighbourOrder(int k, int columns, int blocks, bool ties)
    {
        const int rows = 9;
        var random = new Random(k * 1000 + columns);
        // Per row: all candidate (value, reference) pairs, offered block after block.
        var all = Enumerable.Range(0, rows).Select(_ => new List<(float V, int I)>()).ToArray();
        var topk = new RunningTopK(rows, k);
        topk.Reset(rows);
        for (int b = 0; b < blocks; b++)
        {
            var block = new float[rows * columns];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    float v = ties ? random.Next(-3, 4) * 0.25f : (float)(random.NextDouble() * 2 - 1);
                    if (r == 0)
                        v = 0.5f; // a row of one value: the lower indices must win
                    block[r * columns + c] = v;
                    // Same-set mode below: query r is reference r, skipped.
                    if (b * columns + c != r)
                        all[r].Add((v, b * columns + c));
                }
            }
            topk.Offer(block, rows, columns, b * columns, excludeSelf: true, firstQuery: 0, threads: 2);
        }
        var indices = new long[rows * k];
        var values = new float[rows * k];
        topk.Drain(indices, values, threads: 2);
        for (int r = 0; r < rows; r++)
        {
            var expected = all[r].OrderByDescending(p => p.V).ThenBy(p => p.I).Take(k).ToArray();
            Assert.Equal(expected.Select(p => (long)p.I), indices.Skip(r * k).Take(k));
            Assert.Equal(expected.Select(p => p.V), values.Skip(r * k).Take(k));
        }
    }

    [Fact]
    public void NegativeZeroTiesWithPositiveZero()
    {
        var topk = new RunningTopK(1, 2);
        topk.Reset(1);
        var block = new[] { -0f, 0f, -1f };
        topk.Offer(block, 1, 3, 0, excludeSelf: false, firstQuery: 0, threads: 1);
        var indices = new long[2];
        var values = new float[2];
        topk.Drain(indices, values, 1);
        Assert.Equal(new long[] { 0, 1 }, indices);
    }
}
