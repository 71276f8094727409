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

    /// <summary>
    /// Blocks offered by columns (the transposed half of the same-set search), then by rows, keep each list's best in
    /// neighbour order: 64, 16 and 8 columns per pass, a strip of leftover columns, ties, raised thresholds, and the
    /// range forms of ShortRows and Drain.
    /// </summary>
    [Theory]
    [InlineData(16, 37, 7, false)]
    [InlineData(16, 37, 40, true)]
    [InlineData(8, 37, 7, true)]
    [InlineData(8, 21, 60, false)]
    [InlineData(16, 5, 3, true)]
    [InlineData(16, 150, 20, true)]
    [InlineData(16, 150, 7, false)]
    public void ColumnsOfferedBeforeRowsKeepTheBestInNeighbourOrder(int lanes, int lists, int k, bool ties)
    {
        const int firstList = 3, references = 90, columnBlock = 25;
        int rowCount = firstList + lists;
        var random = new Random(lanes * 100 + lists + k);
        float Draw() => ties ? random.Next(-3, 4) / 4f : (float)random.NextDouble();
        var all = Enumerable.Range(0, lists).Select(_ => new List<(float V, int I)>()).ToArray();
        using var topk = new RunningTopK(rowCount, k) { ColumnLanes = lanes };
        topk.Reset(rowCount);
        // References 0..49 in two blocks by columns (block row = reference, block column = list).
        for (int r0 = 0; r0 < 50; r0 += columnBlock)
        {
            var block = new float[columnBlock * lists];
            for (int i = 0; i < columnBlock; i++)
                for (int j = 0; j < lists; j++)
                {
                    block[i * lists + j] = Draw();
                    all[j].Add((block[i * lists + j], r0 + i));
                }
            unsafe
            {
                fixed (float* data = block)
                    topk.OfferColumns(data, columnBlock, lists, firstReference: r0, firstRow: firstList, threads: 2);
            }
        }
        // References 50..89 by rows.
        var rows = new float[lists * (references - 50)];
        for (int j = 0; j < lists; j++)
            for (int c = 0; c < references - 50; c++)
            {
                rows[j * (references - 50) + c] = Draw();
                all[j].Add((rows[j * (references - 50) + c], 50 + c));
            }
        topk.Offer(rows, lists, references - 50, 50, excludeSelf: false, firstQuery: 0, threads: 2, firstRow: firstList);
        Assert.Empty(topk.ShortRows(firstList, lists));
        Assert.Equal(Enumerable.Range(0, firstList), topk.ShortRows(0, firstList)); // never offered anything
        var indices = new long[lists * k];
        var values = new float[lists * k];
        unsafe
        {
            fixed (long* i = indices)
            fixed (float* v = values)
                topk.Drain(firstList, lists, i, v, threads: 2);
        }
        for (int j = 0; j < lists; j++)
        {
            var expected = all[j].OrderByDescending(p => p.V).ThenBy(p => p.I).Take(k).ToArray();
            Assert.Equal(expected.Select(p => (long)p.I), indices.Skip(j * k).Take(k));
            Assert.Equal(expected.Select(p => p.V), values.Skip(j * k).Take(k));
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
