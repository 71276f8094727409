using Xbm.Evaluation;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

/// <summary>
/// Parity with the brute-force reference of tools/fixtures/make_metric_fixtures.py (docs/design.md §5 formulas): neighbours
/// exactly (indices, including the order of tied similarities), similarities within 1e-5 (float32 products against
/// float64), R per query and the excluded count exactly, metrics within 1e-12 (the same neighbour lists, summed in
/// another order).
/// </summary>
public class MetricFixtureTests
{
    public static TheoryData<string, int, int, KnnSelection> Cases()
    {
        var data = new TheoryData<string, int, int, KnnSelection>();
        foreach (string name in EvaluationFixture.Names)
        {
            foreach (var (queryChunk, referenceChunk) in new[] { (4096, 8192), (7, 5), (1, 3), (16, 64) })
            {
                data.Add(name, queryChunk, referenceChunk, KnnSelection.Scan);
                data.Add(name, queryChunk, referenceChunk, KnnSelection.TorchTopK);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResultsAndMetricsMatchTheReference(string name, int queryChunk, int referenceChunk, KnnSelection selection)
    {
        var fixture = EvaluationFixture.Load(name);
        using var queries = fixture.Queries();
        using var gallery = fixture.Gallery();
        var options = new KnnOptions { QueryChunkSize = queryChunk, ReferenceChunkSize = referenceChunk, Selection = selection };
        using var results = RetrievalResults.Compute(queries, fixture.QueryLabels, gallery, fixture.GalleryLabels, fixture.RecallAt.Max(), options);

        Assert.Equal(fixture.SameSet, results.SameSet);
        Assert.Equal(fixture.Depth, results.Depth);
        Assert.Equal(fixture.RelevantCounts, results.RelevantCounts);
        Assert.Equal(fixture.Excluded, results.ExcludedQueries);
        results.ForEachQuery((query, neighbours, similarities) =>
        {
            Assert.Equal(fixture.Neighbours[query], neighbours.ToArray());
            for (int i = 0; i < similarities.Length; i++)
                Assert.Equal(fixture.Similarities[query][i], similarities[i], 1e-5);
        });

        foreach (int k in fixture.RecallAt)
            Assert.Equal(fixture.Expected[$"Recall@{k}"], new RecallAtK(k).Compute(results), 1e-12);
        Assert.Equal(fixture.Expected["R-Precision"], new RPrecision().Compute(results), 1e-12);
        Assert.Equal(fixture.Expected["MAP@R"], new MapAtR().Compute(results), 1e-12);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void EvaluatorReportsTheReferenceMetricsInOrder(string name)
    {
        var fixture = EvaluationFixture.Load(name);
        using var queries = fixture.Queries();
        using var gallery = fixture.Gallery();
        using var report = RetrievalEvaluator.Evaluate(queries, fixture.QueryLabels, gallery, fixture.GalleryLabels, fixture.RecallAt);

        var keys = fixture.RecallAt.Select(k => $"Recall@{k}").Append("R-Precision").Append("MAP@R").ToArray();
        Assert.Equal(keys, report.Metrics.Keys.ToArray());
        foreach (string key in keys)
            Assert.Equal(fixture.Expected[key], report.Metrics[key], 1e-12);
        Assert.Equal(fixture.Excluded, report.ExcludedQueries);
    }

    public static TheoryData<string> FixtureNames() => new(EvaluationFixture.Names);
}
