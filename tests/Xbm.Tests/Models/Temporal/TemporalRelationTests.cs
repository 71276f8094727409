using Xbm.Models.Temporal;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Models.Temporal;

public sealed class TemporalRelationTests
{
    private static string Key(int[] t) => string.Join(",", t);

    [Theory]
    [InlineData(5, 2, 10)]
    [InlineData(5, 3, 10)]
    [InlineData(8, 4, 70)]
    [InlineData(4, 4, 1)]
    [InlineData(3, 1, 3)]
    public void AllTuplesAreTheIncreasingCombinationsInLexicographicOrder(int n, int k, int count)
    {
        var all = RelationTuples.All(n, k);
        Assert.Equal(count, all.Count);
        Assert.All(all, t => Assert.True(t.Length == k && t.Zip(t.Skip(1)).All(p => p.First < p.Second) && t[0] >= 0 && t[^1] < n));
        var keys = all.Select(Key).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        for (int i = 1; i < all.Count; i++)
            Assert.True(CompareLexicographic(all[i - 1], all[i]) < 0, $"{keys[i - 1]} before {keys[i]}");
        Assert.Equal(Key(Enumerable.Range(0, k).ToArray()), keys[0]);
    }

    private static int CompareLexicographic(int[] a, int[] b)
    {
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i])
                return a[i].CompareTo(b[i]);
        return 0;
    }

    [Fact]
    public void EvaluationPositionsAreTheCentresOfEqualParts()
    {
        Assert.Equal([0, 2, 4], RelationTuples.EvaluationPositions(5, 3));
        Assert.Equal([1, 5, 8], RelationTuples.EvaluationPositions(10, 3));
        Assert.Equal([0], RelationTuples.EvaluationPositions(1, 3));
        Assert.Equal([0, 1], RelationTuples.EvaluationPositions(2, 3));
    }

    [Fact]
    public void ScalesRunFromNDownToTwoWithTheDocumentedShapes()
    {
        using var trn = new TemporalRelation(4, 10, 7, new TemporalRelationOptions { Bottleneck = 12 });
        Assert.Equal([4, 3, 2], trn.Scales);
        var shapes = trn.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(12, shapes.Count); // g and h, weight and bias, per scale
        for (int s = 0; s < 3; s++)
        {
            int k = trn.Scales[s];
            Assert.Equal([12L, k * 10L], shapes[$"scales.{s}.g.weight"]);
            Assert.Equal([7L, 12L], shapes[$"scales.{s}.h.weight"]);
        }
        Assert.Equal([1, 3, 3], trn.EvaluationTuples.Select(t => t.Count));
        Assert.Equal("0,1,2,3", Key(trn.EvaluationTuples[0][0]));
    }

    [Fact]
    public void TrainingTuplesAreSeededDistinctAndChangeBetweenPasses()
    {
        using var a = new TemporalRelation(6, 4, 3, new TemporalRelationOptions { Seed = 7, Bottleneck = 5 });
        using var b = new TemporalRelation(6, 4, 3, new TemporalRelationOptions { Seed = 7, Bottleneck = 5 });
        using var c = new TemporalRelation(6, 4, 3, new TemporalRelationOptions { Seed = 8, Bottleneck = 5 });
        string Draw(TemporalRelation t) => string.Join(" | ", t.ChooseTuples(true).Select(s => string.Join(" ", s.Select(Key))));
        var first = Enumerable.Range(0, 5).Select(_ => Draw(a)).ToList();
        Assert.Equal(first, Enumerable.Range(0, 5).Select(_ => Draw(b)).ToList());
        Assert.NotEqual(first, Enumerable.Range(0, 5).Select(_ => Draw(c)).ToList());
        Assert.True(first.Distinct().Count() > 1, "training draws never change");

        var draw = a.ChooseTuples(true);
        Assert.Equal([1, 3, 3, 3, 3], draw.Select(s => s.Count));
        Assert.Equal("0,1,2,3,4,5", Key(draw[0][0]));
        for (int s = 1; s < draw.Count; s++)
        {
            Assert.Equal(draw[s].Count, draw[s].Select(Key).Distinct().Count());
            Assert.All(draw[s], t => Assert.Equal(a.Scales[s], t.Length));
        }

        // The state resumes the sequence.
        var state = a.RandomState;
        string next = Draw(a);
        a.RandomState = state;
        Assert.Equal(next, Draw(a));
    }

    [Fact]
    public void ForwardGivesBatchByOutputAndRejectsOtherShapes()
    {
        using var scope = NewDisposeScope();
        using var trn = new TemporalRelation(3, 4, 5, new TemporalRelationOptions { Bottleneck = 6 });
        var x = randn(2, 3, 4);
        Assert.Equal([2L, 5L], trn.forward(x).shape);
        Assert.Throws<ArgumentException>(() => trn.forward(randn(2, 4, 4)));
        Assert.Throws<ArgumentException>(() => trn.forward(randn(2, 3, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemporalRelation(1, 4, 5));
    }

    [Fact]
    public void RandomPositionsCoverEveryTupleOverManyDraws()
    {
        var random = new SeededRandom(3);
        var seen = new int[10];
        for (int i = 0; i < 400; i++)
        {
            var p = RelationTuples.RandomPositions(10, 3, random);
            Assert.Equal(3, p.Distinct().Count());
            foreach (int v in p)
                seen[v]++;
        }
        Assert.All(seen, count => Assert.InRange(count, 80, 160)); // expected 120 each
    }
}
