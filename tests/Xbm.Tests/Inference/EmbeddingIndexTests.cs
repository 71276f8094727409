using Xbm.Inference;

namespace Xbm.Tests.Inference;

public sealed class EmbeddingIndexTests
{
    private static EmbeddingMatrix Unit(params float[][] rows)
    {
        var values = rows.SelectMany(r =>
        {
            float norm = MathF.Sqrt(r.Sum(v => v * v));
            return r.Select(v => v / norm);
        }).ToArray();
        return new EmbeddingMatrix(values, rows.Length, rows[0].Length);
    }

    [Fact]
    public void SearchReturnsTheNearestRowsBestFirstWithLabelsAndPaths()
    {
        using var index = new EmbeddingIndex(Unit([1, 0], [0, 1], [1, 1], [-1, 0]), [7, 8, 9, 10], ["a", "b", "c", "d"]);

        var hits = index.Search(Unit([1, 0.1f]).Row(0), k: 2);

        Assert.Equal([0, 2], hits.Select(h => h.Index));
        Assert.Equal([7L, 9], hits.Select(h => h.Label));
        Assert.Equal(["a", "c"], hits.Select(h => h.Path));
        Assert.True(hits[0].Similarity > hits[1].Similarity);
        Assert.InRange(hits[0].Similarity, 0.99f, 1f);
    }

    [Fact]
    public void AQuerysOwnRowIsLeftOutAndKIsCappedByTheIndex()
    {
        using var index = new EmbeddingIndex(Unit([1, 0], [0, 1], [1, 1]));

        var own = index.Search(index.Vector(1), k: 5, exclude: 1);
        var all = index.Search(Unit([0, 1], [1, 0]), k: 5, [null, 0]);

        Assert.Equal([2, 0], own.Select(h => h.Index));
        Assert.All(own, h => Assert.Equal(-1L, h.Label));
        Assert.All(own, h => Assert.Null(h.Path));
        Assert.Equal([1, 2, 0], all[0].Select(h => h.Index));
        Assert.Equal([2, 1], all[1].Select(h => h.Index));
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        using var index = new EmbeddingIndex(Unit([1, 0], [0, 1]));
        Assert.Contains("3 dimensions", Assert.Throws<ArgumentException>(() => index.Search(Unit([1, 0, 0]), 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(index.Vector(0), 0));
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => new EmbeddingIndex(Unit([1, 0]), [1, 2])).Message);
        Assert.Contains("for 2 × 3", Assert.Throws<ArgumentException>(() => new EmbeddingMatrix(new float[5], 2, 3)).Message);
    }
}
