using Xbm.Data.Images;
using Xbm.Reporting;
using static TorchSharp.torch;

namespace Xbm.Tests.Reporting;

public sealed class RetrievalGridTests
{
    /// <summary>Unit vectors at the given angles (radians) in the plane.</summary>
    private static Tensor Points(params double[] angles) =>
        tensor(angles.SelectMany(a => new[] { (float)Math.Cos(a), (float)Math.Sin(a) }).ToArray(), new long[] { angles.Length, 2 });

    [Fact]
    public void SameSetSearchLeavesTheQueryOutAndMarksCorrectItems()
    {
        using var points = Points(0, 0.1, 0.2, 3.0, 3.05);
        long[] labels = [1, 1, 2, 2, 9];
        // Query 4 (label 9) has no other item of its class: it is never chosen. Ask for more queries than there are.
        var examples = RetrievalExamples.Search(points, labels, null, null, i => $"q{i}", i => $"r{i}", count: 10, k: 2, seed: 3);
        Assert.Equal(new[] { 0, 1, 2, 3 }, examples.Select(e => e.Query));
        var first = examples[0];
        Assert.Equal([1, 2], first.Neighbours.Select(n => n.Index));
        Assert.Equal([true, false], first.Neighbours.Select(n => n.Correct));
        Assert.Equal("r1", first.Neighbours[0].Path);
        Assert.All(examples, e => Assert.DoesNotContain(e.Query, e.Neighbours.Select(n => n.Index)));
        Assert.Equal([4, 2], examples[3].Neighbours.Select(n => n.Index)); // 3.05 is nearest to 3.0, then 0.2
        Assert.Equal((float)Math.Cos(0.05), examples[3].Neighbours[0].Similarity, 5);
    }

    [Fact]
    public void QueryGallerySearchKeepsEveryGalleryItemAndTheSeedPicksTheQueries()
    {
        using var queries = Points(0, 1, 2, 3, 4, 5);
        using var gallery = Points(0, 1.5);
        long[] queryLabels = [0, 0, 1, 1, 0, 1];
        long[] galleryLabels = [0, 1];
        var a = RetrievalExamples.Search(queries, queryLabels, gallery, galleryLabels, i => $"q{i}", i => $"g{i}", count: 3, k: 5, seed: 1);
        var b = RetrievalExamples.Search(queries, queryLabels, gallery, galleryLabels, i => $"q{i}", i => $"g{i}", count: 3, k: 5, seed: 1);
        Assert.Equal(a.Select(e => e.Query), b.Select(e => e.Query));
        Assert.Equal(3, a.Count);
        Assert.All(a, e => Assert.Equal(2, e.Neighbours.Count)); // k is capped by the gallery size
        var zero = RetrievalExamples.Search(queries, queryLabels, gallery, galleryLabels, i => $"q{i}", i => $"g{i}", count: 6, k: 1, seed: 1);
        Assert.Equal(0, zero[0].Neighbours[0].Index);
        Assert.True(zero[0].Neighbours[0].Correct);
    }

    [Fact]
    public void GridFramesQueriesBlueCorrectGreenWrongRed()
    {
        var examples = new[]
        {
            new RetrievalExample(0, 1, "q0", [new RetrievedItem(5, 1, 0.9f, "a", true), new RetrievedItem(6, 2, 0.8f, "b", false)]),
            new RetrievalExample(1, 2, "q1", [new RetrievedItem(6, 2, 0.7f, "b", true)]),
        };
        int size = 10, cell = RetrievalGrid.CellSide(size);
        var grid = RetrievalGrid.Render(examples, _ => Thumbnails.Placeholder(size), _ => new RgbImage(size, size), size);
        Assert.Equal(2 * 8 + cell + 16 + 2 * cell + 4, grid.Width);
        Assert.Equal(2 * 8 + 2 * cell + 4, grid.Height);
        (byte, byte, byte) At(int x, int y) => (grid[x, y, 0], grid[x, y, 1], grid[x, y, 2]);
        Assert.Equal(RetrievalGrid.QueryColour, At(8, 8));
        Assert.Equal(RetrievalGrid.CorrectColour, At(8 + cell + 16, 8));
        Assert.Equal(RetrievalGrid.WrongColour, At(8 + cell + 16 + cell + 4, 8));
        Assert.Equal((0, 0, 0), At(8 + cell + 16 + 4, 8 + 4)); // the (black) thumbnail inside the frame
        Assert.Equal(RetrievalGrid.CorrectColour, At(8 + cell + 16, 8 + cell + 4)); // second row, first item
        Assert.Equal((255, 255, 255), At(8 + cell + 16 + cell + 4, 8 + cell + 4)); // no second item: background
        ReportAssertions.DecodePng(ImageDecoder.EncodePng(grid), "the grid");
    }
}
