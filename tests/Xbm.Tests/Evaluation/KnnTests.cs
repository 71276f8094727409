using TorchSharp;
using Xbm.Evaluation;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

public class KnnTests
{
    /// <summary>Brute force in double precision: every reference sorted by (−similarity, index), self removed.</summary>
    private static (long[][] Indices, double[][] Similarities) BruteForce(float[,] queries, float[,] references, bool sameSet, int k)
    {
        int q = queries.GetLength(0), r = references.GetLength(0), d = queries.GetLength(1);
        var indices = new long[q][];
        var sims = new double[q][];
        for (int i = 0; i < q; i++)
        {
            var scored = new List<(double S, int J)>();
            for (int j = 0; j < r; j++)
            {
                if (sameSet && i == j)
                    continue;
                double s = 0;
                for (int c = 0; c < d; c++)
                    s += (double)queries[i, c] * references[j, c];
                scored.Add((s, j));
            }
            var best = scored.OrderByDescending(p => p.S).ThenBy(p => p.J).Take(k).ToArray();
            indices[i] = best.Select(p => (long)p.J).ToArray();
            sims[i] = best.Select(p => p.S).ToArray();
        }
        return (indices, sims);
    }

    /// <summary>Entries in {−1, −0.75, …, 1}: products and sums are exact in float32, so ties are exact ties.</summary>
    private static float[,] Quantised(int n, int d, int seed)
    {
        var random = new Random(seed);
        var x = new float[n, d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                x[i, c] = random.Next(-4, 5) / 4f;
        return x;
    }

    private static float[,] Gaussian(int n, int d, int seed)
    {
        var random = new Random(seed);
        var x = new float[n, d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                x[i, c] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return x;
    }

    private static Tensor ToTensor(float[,] x) => tensor(x.Cast<float>().ToArray(), new long[] { x.GetLength(0), x.GetLength(1) });

    private static long[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<long>().ToArray()).ToArray();

    private static float[][] FloatRows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<float>().ToArray()).ToArray();

    public static TheoryData<int, int, KnnSelection> Chunkings()
    {
        var data = new TheoryData<int, int, KnnSelection>();
        foreach (var (qc, rc) in new[] { (1, 1), (4, 7), (5, 100), (16, 10), (37, 53), (4096, 8192) })
        {
            data.Add(qc, rc, KnnSelection.Scan);
            data.Add(qc, rc, KnnSelection.TorchTopK);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Chunkings))]
    public void ChunkedSearchEqualsBruteForceWithExactTies(int queryChunk, int referenceChunk, KnnSelection selection)
    {
        var options = new KnnOptions { QueryChunkSize = queryChunk, ReferenceChunkSize = referenceChunk, Selection = selection };
        var queries = Quantised(37, 6, 1);
        var references = Quantised(53, 6, 2);
        foreach (bool sameSet in new[] { true, false })
        {
            var refs = sameSet ? queries : references;
            const int k = 9;
            var (expectedIndices, expectedSims) = BruteForce(queries, refs, sameSet, k);
            using var q = ToTensor(queries);
            using var r = ToTensor(refs);
            using var result = Knn.Search(q, sameSet ? null : r, k, options);
            Assert.Equal(new long[] { 37, k }, result.Indices.shape);
            Assert.Equal(ScalarType.Int64, result.Indices.dtype);
            Assert.Equal(ScalarType.Float32, result.Similarities.dtype);
            Assert.Equal(expectedIndices, Rows(result.Indices));
            Assert.Equal(expectedSims.Select(row => row.Select(v => (float)v).ToArray()).ToArray(), FloatRows(result.Similarities));
        }
    }

    [Theory]
    [MemberData(nameof(Chunkings))]
    public void ChunkedSearchMatchesBruteForceOnRandomData(int queryChunk, int referenceChunk, KnnSelection selection)
    {
        var options = new KnnOptions { QueryChunkSize = queryChunk, ReferenceChunkSize = referenceChunk, Selection = selection };
        var data = Gaussian(61, 12, 3);
        const int k = 13;
        var (expectedIndices, expectedSims) = BruteForce(data, data, true, k);
        using var x = ToTensor(data);
        using var result = Knn.Search(x, null, k, options);
        var indices = Rows(result.Indices);
        var sims = FloatRows(result.Similarities);
        for (int i = 0; i < indices.Length; i++)
        {
            for (int j = 0; j < k; j++)
            {
                Assert.Equal(expectedSims[i][j], sims[i][j], 1e-4);
                // Indices must agree wherever float32 rounding cannot swap two neighbours.
                bool separated = (j == 0 || expectedSims[i][j - 1] - expectedSims[i][j] > 1e-4)
                                 && (j == k - 1 || expectedSims[i][j] - expectedSims[i][j + 1] > 1e-4);
                if (separated)
                    Assert.Equal(expectedIndices[i][j], indices[i][j]);
            }
        }
    }

    /// <summary>
    /// The scan's estimated starting thresholds (a sample of references) keep the search exact: with the default
    /// margin, with a margin so small that almost every query has fewer than k references above its estimate and is
    /// searched again, and with a large one; on tie-heavy data, same-set and query/gallery.
    /// </summary>
    [Theory]
    [InlineData(1.6, 16, 4, 7)]
    [InlineData(0.1, 16, 4, 7)]
    [InlineData(0.1, 16, 37, 53)]
    [InlineData(3.0, 8, 16, 10)]
    public void EstimatedThresholdsKeepTheSearchExact(double margin, int sampleSize, int queryChunk, int referenceChunk)
    {
        var options = new KnnOptions
        {
            QueryChunkSize = queryChunk, ReferenceChunkSize = referenceChunk, Selection = KnnSelection.Scan,
            ThresholdMargin = margin, ThresholdSampleSize = sampleSize,
        };
        var queries = Quantised(37, 6, 1);
        var references = Quantised(53, 6, 2);
        foreach (bool sameSet in new[] { true, false })
            AssertSearchIsExact(queries, sameSet ? queries : references, sameSet, 9, options);
        // A large k against a larger set, many ties at every cut.
        var data = Quantised(700, 3, 7);
        AssertSearchIsExact(data, data, true, 150, options with { QueryChunkSize = 64, ReferenceChunkSize = 100, ThresholdSampleSize = 8 * sampleSize });
    }

    /// <summary>Knn.Search gives exactly the brute-force neighbours and similarities, ties included.</summary>
    private static void AssertSearchIsExact(float[,] queries, float[,] references, bool sameSet, int k, KnnOptions options)
    {
        var (expectedIndices, expectedSims) = BruteForce(queries, references, sameSet, k);
        using var q = ToTensor(queries);
        using var r = ToTensor(references);
        using var result = Knn.Search(q, sameSet ? null : r, k, options);
        Assert.Equal(expectedIndices, Rows(result.Indices));
        Assert.Equal(expectedSims.Select(row => row.Select(v => (float)v).ToArray()).ToArray(), FloatRows(result.Similarities));
    }

    /// <summary>
    /// The same-set scan that computes each block once (offered by rows and by columns) gives exactly the one-sided
    /// search's result and the brute force's, with ties at every cut, with and without estimated thresholds.
    /// </summary>
    [Theory]
    [InlineData(64, 100, 1.6)]
    [InlineData(100, 64, 1.6)]
    [InlineData(37, 53, 0.0)]
    [InlineData(250, 250, 0.1)]
    public void SymmetricSearchEqualsTheOneSidedSearch(int queryChunk, int referenceChunk, double margin)
    {
        var data = Quantised(700, 3, 7);
        var symmetric = new KnnOptions { QueryChunkSize = queryChunk, ReferenceChunkSize = referenceChunk, Selection = KnnSelection.Scan, ThresholdMargin = margin, ThresholdSampleSize = 128 };
        var oneSided = symmetric with { SymmetricCandidateBytes = 0 };
        AssertSearchIsExact(data, data, true, 150, symmetric);
        AssertSearchIsExact(data, data, true, 150, oneSided);
        var gaussian = Gaussian(500, 24, 9);
        using var x = ToTensor(gaussian);
        using var a = Knn.Search(x, null, 40, symmetric);
        using var b = Knn.Search(x, null, 40, oneSided);
        Assert.True(a.Similarities.allclose(b.Similarities, rtol: 0, atol: 1e-5));
        var (ai, bi, av) = (Rows(a.Indices), Rows(b.Indices), FloatRows(a.Similarities));
        for (int i = 0; i < ai.Length; i++)
            for (int j = 0; j < 40; j++)
                if ((j == 0 || av[i][j - 1] - av[i][j] > 1e-5) && (j == 39 || av[i][j] - av[i][j + 1] > 1e-5))
                    Assert.Equal(bi[i][j], ai[i][j]);
    }

    /// <summary>
    /// With the default options (chunks of 4,096) a set of 4,500 searched against itself shares the symmetric blocks,
    /// and gives the one-sided search's neighbours exactly, ties included.
    /// </summary>
    [Fact]
    public void DefaultOptionsShareTheSymmetricBlocksAboveOneChunk()
    {
        var data = Quantised(4500, 4, 13);
        using var x = ToTensor(data);
        using var shared = Knn.Search(x, null, 60);
        using var oneSided = Knn.Search(x, null, 60, new KnnOptions { SymmetricCandidateBytes = 0 });
        Assert.Equal(Rows(oneSided.Indices), Rows(shared.Indices));
        Assert.Equal(FloatRows(oneSided.Similarities), FloatRows(shared.Similarities));
    }

    /// <summary>Above the candidate budget the same-set search is one-sided, with the same result.</summary>
    [Fact]
    public void SymmetricSearchStaysWithinItsBudget()
    {
        var data = Quantised(300, 3, 11);
        const int k = 20;
        long needed = 300L * 2 * k * sizeof(ulong);
        AssertSearchIsExact(data, data, true, k, new KnnOptions { QueryChunkSize = 64, ReferenceChunkSize = 64, SymmetricCandidateBytes = needed - 1 });
        AssertSearchIsExact(data, data, true, k, new KnnOptions { QueryChunkSize = 64, ReferenceChunkSize = 64, SymmetricCandidateBytes = needed });
    }

    [Theory]
    [InlineData(KnnSelection.Scan, 64, 100)]
    [InlineData(KnnSelection.Scan, 700, 700)]
    [InlineData(KnnSelection.TorchTopK, 64, 100)]
    public void LargeKEqualsBruteForce(KnnSelection selection, int queryChunk, int referenceChunk)
    {
        // k large against the chunk: the running lists are cut back many times, with many exact ties at the cut.
        var data = Quantised(700, 3, 7);
        AssertSearchIsExact(data, data, true, 150, new KnnOptions { QueryChunkSize = queryChunk, ReferenceChunkSize = referenceChunk, Selection = selection });
    }

    [Theory]
    [InlineData(KnnSelection.Scan)]
    [InlineData(KnnSelection.TorchTopK)]
    public void SelfIsExcludedByIdentityButDuplicatesStay(KnnSelection selection)
    {
        // Rows 0, 3 and 6 are the same vector; row 5 is its negation.
        var rows = new float[,] { { 1, 0 }, { 0, 1 }, { 0.6f, 0.8f }, { 1, 0 }, { 0.8f, 0.6f }, { -1, 0 }, { 1, 0 } };
        using var x = ToTensor(rows);
        foreach (int chunk in new[] { 1, 2, 3, 7 })
        {
            using var result = Knn.Search(x, null, 6, new KnnOptions { QueryChunkSize = chunk, ReferenceChunkSize = chunk, Selection = selection });
            var indices = Rows(result.Indices);
            var sims = FloatRows(result.Similarities);
            for (int i = 0; i < indices.Length; i++)
                Assert.DoesNotContain((long)i, indices[i]);
            // Query 0's duplicates (3 and 6) come first with similarity 1, lower index first.
            Assert.Equal(new long[] { 3, 6, 4, 2, 1, 5 }, indices[0]);
            Assert.Equal(new[] { 1f, 1f }, sims[0][..2]);
            Assert.Equal(new long[] { 0, 6 }, indices[3][..2]);
            Assert.Equal(new long[] { 0, 3 }, indices[6][..2]);
        }
    }

    [Theory]
    [InlineData(KnnSelection.Scan)]
    [InlineData(KnnSelection.TorchTopK)]
    public void TiesGoToTheLowerReferenceIndexAcrossChunks(KnnSelection selection)
    {
        // Every reference scores the same except reference 17, which scores higher.
        var references = new float[30, 2];
        for (int j = 0; j < 30; j++)
            references[j, 0] = 1;
        references[17, 0] = 2;
        using var r = ToTensor(references);
        using var q = ToTensor(new float[,] { { 1, 0 }, { 0.5f, 3 } });
        foreach (int chunk in new[] { 1, 4, 5, 29, 30 })
        {
            using var result = Knn.Search(q, r, 6, new KnnOptions { QueryChunkSize = 1, ReferenceChunkSize = chunk, Selection = selection });
            Assert.Equal(new long[] { 17, 0, 1, 2, 3, 4 }, result.Indices[0].data<long>().ToArray());
            Assert.Equal(new long[] { 17, 0, 1, 2, 3, 4 }, result.Indices[1].data<long>().ToArray());
        }
    }

    [Theory]
    [InlineData(KnnSelection.Scan)]
    [InlineData(KnnSelection.TorchTopK)]
    public void QueryGalleryModeKeepsTheItemWithTheQuerysIndex(KnnSelection selection)
    {
        // The gallery holds a copy of each query (same index): with the cosine it is the query's nearest
        // neighbour with similarity 1, because nothing is excluded in query/gallery mode.
        var data = Gaussian(10, 4, 5);
        using var x = ToTensor(data);
        var options = new KnnOptions { QueryChunkSize = 3, ReferenceChunkSize = 4, Similarity = KnnSimilarity.Cosine, Selection = selection };
        using var result = Knn.Search(x, x, 3, options);
        var indices = Rows(result.Indices);
        var sims = FloatRows(result.Similarities);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(i, indices[i][0]);
            Assert.Equal(1f, sims[i][0], 1e-5f);
        }
    }

    [Fact]
    public void CosineIgnoresRowScale()
    {
        var data = Gaussian(20, 5, 6);
        using var x = ToTensor(data);
        using var scale = linspace(0.1, 10, 20).unsqueeze(1);
        using var scaled = x * scale;
        var cosine = new KnnOptions { Similarity = KnnSimilarity.Cosine };
        using var a = Knn.Search(x, null, 4, cosine);
        using var b = Knn.Search(scaled, null, 4, cosine);
        Assert.Equal(Rows(a.Indices), Rows(b.Indices));
        Assert.True(a.Similarities.allclose(b.Similarities, rtol: 1e-5, atol: 1e-6));
        using var bound = 1.0001.ToScalar();
        Assert.True(a.Similarities.le(bound).all().item<bool>());
    }

    [Fact]
    public void BadInputsAreClearErrors()
    {
        using var x = randn(5, 3);
        using var y = randn(4, 2);
        Assert.Contains("between 1 and the 4", Assert.Throws<ArgumentOutOfRangeException>(() => Knn.Search(x, null, 5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Knn.Search(x, null, 0));
        Assert.Contains("dimensions", Assert.Throws<ArgumentException>(() => Knn.Search(x, y, 1)).Message);
        using var nan = x.clone();
        nan[2, 1] = tensor(float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Knn.Search(nan, null, 1)).Message);
        Assert.Throws<ArgumentException>(() => Knn.Search(x, null, 1, new KnnOptions { QueryChunkSize = 0 }));
        using var ints = ones(3, 2, dtype: ScalarType.Int64);
        Assert.Contains("floating point", Assert.Throws<ArgumentException>(() => Knn.Search(ints, null, 1)).Message);
    }

    [Fact]
    public void InputsStayUsableAndNoTensorsLeak()
    {
        using var x = randn(50, 8);
        using (var scope = NewDisposeScope())
        {
            using var warm = Knn.Search(x, null, 3);
        }
        // Counted on this thread: Tensor.TotalCount also drops when the finalizer frees another test's garbage.
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
        {
            using var result = Knn.Search(x, null, 3, new KnnOptions { QueryChunkSize = 7, ReferenceChunkSize = 9, Selection = i % 2 == 0 ? KnnSelection.Scan : KnnSelection.TorchTopK });
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Equal(new long[] { 50, 8 }, x.shape);
        Assert.True(x.sum().isfinite().item<bool>());
    }
}
