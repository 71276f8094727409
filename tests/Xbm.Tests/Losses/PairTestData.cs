using TorchSharp;
using Xbm.Losses;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>Seeded test inputs: a batch (keys = queries, each query its own key) or a memory (own slots as own keys).</summary>
public static class PairTestData
{
    public sealed record Case(Tensor Queries, Tensor QueryLabels, Tensor Keys, Tensor KeyLabels, Tensor OwnKeys, bool KeysAreQueries)
    {
        /// <summary>The keys for queries <paramref name="q"/>: the same tensor in batch mode, the fixed memory otherwise.</summary>
        public Tensor KeysFor(Tensor q) => KeysAreQueries ? q : Keys;
    }

    public static Tensor Normalised(Tensor x) => x.div(x.norm(1, keepdim: true));

    /// <summary>The own keys of a batch used as its own keys: query i is key i.</summary>
    public static Tensor Self(long batchSize)
    {
        using var count = batchSize.ToScalar();
        return arange(Scalars.Zero, count, Scalars.One, dtype: int64);
    }

    /// <summary>The dense B×M mask of the pairs <paramref name="ownKeys"/> leaves out (for brute-force checks).</summary>
    public static Tensor OwnKeyMask(Tensor ownKeys, long keyCount)
    {
        using var count = keyCount.ToScalar();
        return ownKeys.unsqueeze(1).eq(arange(Scalars.Zero, count, Scalars.One, dtype: int64).unsqueeze(0));
    }

    /// <summary>B = classes × perClass queries of dimension d; keys = the queries, self-pairs ignored.</summary>
    public static Case Batch(int seed, int classes = 4, int perClass = 4, int d = 4, ScalarType dtype = ScalarType.Float64)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        int b = classes * perClass;
        using var classCount = classes.ToScalar();
        var labels = arange(Scalars.Zero, classCount, Scalars.One, dtype: int64).repeat_interleave(perClass);
        var q = Normalised(randn(b, d, dtype: float64, generator: generator)).to(dtype).requires_grad_(true);
        return new Case(q, labels, q, labels, Self(b), true);
    }

    /// <summary>
    /// Queries as in <see cref="Batch"/> and a constant memory of <paramref name="memory"/> rows holding older keys
    /// and, at random slots, a detached copy of each query (its own slot, ignored).
    /// </summary>
    public static Case Memory(int seed, int classes = 4, int perClass = 4, int d = 4, int memory = 48, ScalarType dtype = ScalarType.Float64)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        int b = classes * perClass;
        using var classCount = classes.ToScalar();
        var labels = arange(Scalars.Zero, classCount, Scalars.One, dtype: int64).repeat_interleave(perClass);
        var q = Normalised(randn(b, d, dtype: float64, generator: generator)).to(dtype).requires_grad_(true);
        var keys = Normalised(randn(memory, d, dtype: float64, generator: generator)).to(dtype);
        var keyLabels = randint(0, classes, memory, dtype: int64, generator: generator);
        var slots = randperm(memory, generator: generator).narrow(0, 0, b);
        using (no_grad())
        {
            keys.index_copy_(0, slots, q.detach());
            keyLabels.index_copy_(0, slots, labels);
        }
        return new Case(q, labels, keys, keyLabels, slots, false);
    }
}
