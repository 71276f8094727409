using Xbm.Evaluation;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

/// <summary>Issue 12 (C4, A2): the k-NN search reports progress per query chunk and stops between chunks when cancelled.</summary>
public class KnnProgressTests
{
    [Theory]
    [InlineData(KnnSelection.Scan)]
    [InlineData(KnnSelection.TorchTopK)]
    public void ProgressIsReportedPerQueryChunkAndCancellationStopsTheSearch(KnnSelection selection)
    {
        using var scope = NewDisposeScope();
        var embeddings = nn.functional.normalize(randn(10, 4, generator: manual_seed(3)), p: 2, dim: 1);
        var seen = new List<(long, long)>();
        using var result = Knn.Search(embeddings, null, 2, new KnnOptions { QueryChunkSize = 3, ReferenceChunkSize = 4, Selection = selection, Progress = (d, t) => seen.Add((d, t)) });
        Assert.Equal(new (long, long)[] { (3, 10), (6, 10), (9, 10), (10, 10) }, seen);
        Assert.Equal(new long[] { 10, 2 }, result.Indices.shape);

        using var cancel = new CancellationTokenSource();
        var stopped = new List<long>();
        Assert.ThrowsAny<OperationCanceledException>(() => Knn.Search(embeddings, null, 2, new KnnOptions
        {
            QueryChunkSize = 3,
            Selection = selection,
            Cancel = cancel.Token,
            Progress = (d, _) =>
            {
                stopped.Add(d);
                cancel.Cancel();
            },
        }));
        Assert.Equal([3L], stopped);
    }
}
