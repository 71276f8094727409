using System.Text.Json;
using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Memory;

/// <summary>Reads Fixtures/Memory/memory_sequences.json (tools/fixtures/make_memory_fixtures.py).</summary>
internal sealed class MemoryFixture
{
    private MemoryFixture(JsonElement root) => Root = root;

    public JsonElement Root { get; }

    public static MemoryFixture Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Memory", "memory_sequences.json");
        return new MemoryFixture(JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone());
    }

    public long Dimension => Root.GetProperty("dimension").GetInt64();
    public long Capacity => Root.GetProperty("capacity").GetInt64();
    public long DatasetSize => Root.GetProperty("dataset_size").GetInt64();

    public IEnumerable<Batch> Batches() =>
        Root.GetProperty("batches").EnumerateArray().Select(b => new Batch(
            Matrix(b.GetProperty("embeddings")), Longs(b.GetProperty("labels")), Longs(b.GetProperty("indices")),
            b.GetProperty("iteration").GetInt64()));

    public static double[,] Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var m = new double[rows.Length, cols];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < cols; j++)
                m[i, j] = rows[i][j];
        return m;
    }

    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();
    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public sealed record Batch(double[,] Embeddings, long[] Labels, long[] Indices, long Iteration)
    {
        public Tensor EmbeddingTensor() => Tensors.FromMatrix(Embeddings);
        public Tensor LabelTensor() => tensor(Labels, dtype: int64);
        public Tensor IndexTensor() => tensor(Indices, dtype: int64);
    }
}

internal static class Tensors
{
    public static Tensor FromMatrix(double[,] m) => tensor(m, dtype: float64).to(float32);

    public static double[,] ToMatrix(Tensor t)
    {
        var c = t.to(float64).cpu().contiguous();
        long rows = c.shape[0], cols = c.shape[1];
        var data = c.data<double>().ToArray();
        var m = new double[rows, cols];
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++)
                m[i, j] = data[i * cols + j];
        return m;
    }

    /// <summary>Same shape and bit-identical values.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    public static long[] Longs(Tensor t) => t.to(int64).cpu().data<long>().ToArray();

    public static double MaxAbsDiff(Tensor a, Tensor b) => (a.to(float64) - b.to(float64)).abs().max().item<double>();

    public static void AssertClose(double[,] expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.GetLength(0), actual.shape[0]);
        Assert.Equal(expected.GetLength(1), actual.shape[1]);
        var got = ToMatrix(actual);
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.True(Math.Abs(expected[i, j] - got[i, j]) <= tolerance,
                    $"{what}[{i},{j}]: expected {expected[i, j]}, got {got[i, j]} (tolerance {tolerance})");
    }

    /// <summary>Unit rows drawn from a seeded normal distribution.</summary>
    public static Tensor RandomUnitRows(long rows, long dim, long seed, double scale = 1, double shift = 0)
    {
        var g = new TorchSharp.torch.Generator((ulong)seed);
        using var scaleScalar = scale.ToScalar();
        using var shiftScalar = shift.ToScalar();
        var x = randn(rows, dim, generator: g).mul(scaleScalar).add(shiftScalar, Scalars.One);
        return nn.functional.normalize(x, p: 2, dim: 1);
    }
}
