using System.Runtime.InteropServices;
using TorchSharp;
using Xbm.Losses;
using Xbm.Losses.Reference;
using Xbm.Miners;
using Xbm.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>
/// Every fast loss (closed-form gradient over S, host rows or tensor form) held to its plain reference form
/// (src/Xbm/Losses/Reference: the equation in autograd, float64): loss value, ∂L/∂queries and, when the batch is its
/// own keys, ∂L/∂keys, for every option and reducer, on seeded random problems that include queries without positives
/// or negatives, a lone query, a single key, memories with and without own keys, exact ties on the margins, and the batch as its
/// own keys (an empty memory separately). Fast forms: host rows in float32, tensor form in float32 and in float64.
/// </summary>
public sealed class ReferenceFormTests(ITestOutputHelper output)
{
    private static readonly string[] Reductions = ["sum_per_query", "mean", "mean_nonzero"];

    /// <summary>The reference form's entry point: (queries, query labels, keys, key labels, own keys) → loss.</summary>
    private delegate Tensor FullReference(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys);

    /// <summary>A fast loss and its reference form, from the embeddings and on (S with gradient, pairs) for mined pairs.</summary>
    private sealed record LossCase(Func<IPairLoss> Fast, FullReference Full, Func<Tensor, ReferencePairs, Tensor> Reference);

    private static LossCase Case<TOptions>(Func<TOptions, IPairLoss> fast,
        Func<Tensor, Tensor, Tensor, Tensor, Tensor?, TOptions, Tensor> full, Func<Tensor, ReferencePairs, TOptions, Tensor> reference, TOptions options) =>
        new(() => fast(options), (q, ql, k, kl, own) => full(q, ql, k, kl, own, options), (s, pairs) => reference(s, pairs, options));

    // The multi-similarity loss as the factory builds it from `loss: {name: multi_similarity, ...}` (with mining: the
    // loss composed with the multi-similarity miner), against its reference with the mining slack, or none.
    private static LossCase MultiSimilarity(Dictionary<string, object?> keys, MultiSimilarityLossOptions options, double? epsilon)
    {
        keys["name"] = "multi_similarity";
        return new(() => LossFactory.Create(new Xbm.Configuration.ConfigSection(keys, "reference test", "loss")),
            (q, ql, k, kl, own) => MultiSimilarityReference.Loss(q, ql, k, kl, own, options, epsilon),
            (s, pairs) => MultiSimilarityReference.Loss(s, pairs, options, epsilon));
    }

    // Weight curves for each side of the direct weight loss, with parameters inside the range of random similarities.
    private static readonly Dictionary<string, Func<PairSide, IWeightCurve>> Curves = new()
    {
        ["constant"] = _ => new ConstantWeight { Value = 0.5 },
        ["step"] = side => new StepWeight { Threshold = side == PairSide.Negative ? 0.3 : 0.4, Value = 2 },
        ["linear"] = side => new LinearWeight { Threshold = side == PairSide.Negative ? 0.1 : 0.5, Slope = 2 },
        ["exponential"] = side => new ExponentialWeight { Scale = side == PairSide.Negative ? 40 : 2, Threshold = 0.5 },
        ["exponential unnormalised"] = side => new ExponentialWeight { Scale = 4, Threshold = 0.2, Normalize = false },
        ["topk"] = _ => new TopKWeight { K = 3 },
    };

    private static readonly Dictionary<string, LossCase> Losses = BuildLosses();

    private static Dictionary<string, LossCase> BuildLosses()
    {
        var losses = new Dictionary<string, LossCase>();
        foreach (string r in Reductions)
        {
            losses[$"contrastive, {r}"] = Case(o => new ContrastiveLoss(o), ContrastiveReference.Loss, ContrastiveReference.Loss, new ContrastiveLossOptions { Reduction = r });
            losses[$"contrastive m 0.2 m+ 0.6, {r}"] = Case(o => new ContrastiveLoss(o), ContrastiveReference.Loss, ContrastiveReference.Loss,
                new ContrastiveLossOptions { Margin = 0.2, PositiveMargin = 0.6, Reduction = r });
            losses[$"weighted default, {r}"] = Case(o => new DirectWeightLoss(o), DirectWeightReference.Loss, DirectWeightReference.Loss, new DirectWeightLossOptions { Reduction = r });
            losses[$"weighted exponential/topk, {r}"] = Case(o => new DirectWeightLoss(o), DirectWeightReference.Loss, DirectWeightReference.Loss, new DirectWeightLossOptions
            {
                Positive = Curves["exponential"](PairSide.Positive), Negative = Curves["topk"](PairSide.Negative), Reduction = r,
            });
            losses[$"multi_similarity, {r}"] = MultiSimilarity(new() { ["reduction"] = r }, new MultiSimilarityLossOptions { Reduction = r }, 0.1);
            losses[$"multi_similarity no mining, {r}"] = MultiSimilarity(new() { ["reduction"] = r, ["mining"] = false }, new MultiSimilarityLossOptions { Reduction = r }, null);
            foreach (var strategy in Enum.GetValues<TripletStrategy>())
                losses[$"triplet {strategy}, {r}"] = Case(o => new TripletMarginLoss(o), TripletMarginReference.Loss, TripletMarginReference.Loss,
                    new TripletMarginLossOptions { Strategy = strategy, Reduction = r });
            losses[$"lifted_structure, {r}"] = Case(o => new LiftedStructureLoss(o), LiftedStructureReference.Loss, LiftedStructureReference.Loss, new LiftedStructureLossOptions { Reduction = r });
            foreach (var denominator in Enum.GetValues<NPairDenominator>())
                losses[$"npair {denominator}, {r}"] = Case(o => new NPairLoss(o), NPairReference.Loss, NPairReference.Loss,
                    new NPairLossOptions { Denominator = denominator, Reduction = r });
        }
        // Every pair of weight curves (the default reduction).
        foreach (var (positiveName, positive) in Curves)
            foreach (var (negativeName, negative) in Curves)
                losses[$"weighted {positiveName}/{negativeName}"] = Case(o => new DirectWeightLoss(o), DirectWeightReference.Loss, DirectWeightReference.Loss,
                    new DirectWeightLossOptions { Positive = positive(PairSide.Positive), Negative = negative(PairSide.Negative) });
        losses["multi_similarity a 3 b 20 l 0.3 e 0.5"] = MultiSimilarity(new() { ["alpha"] = 3.0, ["beta"] = 20.0, ["lambda"] = 0.3, ["epsilon"] = 0.5 },
            new MultiSimilarityLossOptions { Alpha = 3, Beta = 20, Lambda = 0.3 }, 0.5);
        foreach (var strategy in Enum.GetValues<TripletStrategy>())
            losses[$"triplet {strategy} m 0.5"] = Case(o => new TripletMarginLoss(o), TripletMarginReference.Loss, TripletMarginReference.Loss,
                new TripletMarginLossOptions { Strategy = strategy, Margin = 0.5, Reduction = "sum_per_query" });
        // A negative margin: some queries are satisfied (ℓ = 0), so mean_nonzero differs from mean.
        losses["lifted_structure m -3, mean_nonzero"] = Case(o => new LiftedStructureLoss(o), LiftedStructureReference.Loss, LiftedStructureReference.Loss,
            new LiftedStructureLossOptions { Margin = -3, Reduction = "mean_nonzero" });
        foreach (var denominator in Enum.GetValues<NPairDenominator>())
            losses[$"npair {denominator} t 0.5"] = Case(o => new NPairLoss(o), NPairReference.Loss, NPairReference.Loss,
                new NPairLossOptions { Denominator = denominator, Temperature = 0.5 });
        // The registry's "infonce": N-pair with every valid key in the denominator.
        var infoNce = new NPairLossOptions { Denominator = NPairDenominator.All };
        losses["infonce (registry)"] = new(
            () => LossFactory.Create(new Xbm.Configuration.ConfigSection(new Dictionary<string, object?> { ["name"] = "infonce" }, "reference test", "loss")),
            (q, ql, k, kl, own) => NPairReference.Loss(q, ql, k, kl, own, infoNce), (s, pairs) => NPairReference.Loss(s, pairs, infoNce));
        return losses;
    }

    public static TheoryData<string> LossNames()
    {
        var data = new TheoryData<string>();
        foreach (string name in Losses.Keys)
            data.Add(name);
        return data;
    }

    // The miners with their reference selection rules, on detached S.
    private sealed record MinerCase(Func<IPairMiner> Fast, Func<Tensor, ReferencePairs, Tensor> Select);

    private static readonly Dictionary<string, MinerCase> Miners = new()
    {
        ["pair_margin 0.3/0.1"] = new(() => new PairMarginMiner(0.3, 0.1), (s, pairs) => PairMarginMinerReference.Select(s, pairs, 0.3, 0.1)),
        ["pair_margin 0.5/0"] = new(() => new PairMarginMiner(0.5, 0), (s, pairs) => PairMarginMinerReference.Select(s, pairs, 0.5, 0)),
        ["multi_similarity"] = new(() => new MultiSimilarityMiner(), (s, pairs) => MultiSimilarityMinerReference.Select(s, pairs, 0.1)),
        ["multi_similarity 0.5"] = new(() => new MultiSimilarityMiner(0.5), (s, pairs) => MultiSimilarityMinerReference.Select(s, pairs, 0.5)),
        ["hardest_negatives 3"] = new(() => new HardestNegativeMiner(3), (s, pairs) => HardestNegativeMinerReference.Select(s, pairs, 3)),
    };

    private static readonly string[] MinedLosses =
    [
        "contrastive, sum_per_query", "weighted exponential/topk, mean", "multi_similarity no mining, sum_per_query", "triplet All, mean_nonzero",
        "triplet BatchHard, mean", "triplet SemiHard, sum_per_query", "lifted_structure, mean", "npair Negatives, sum_per_query", "infonce (registry)",
    ];

    public static TheoryData<string, string> MinedNames()
    {
        var data = new TheoryData<string, string>();
        foreach (string miner in Miners.Keys)
            foreach (string loss in MinedLosses)
                data.Add(miner, loss);
        return data;
    }

    /// <summary>
    /// A random problem: L2-normalised queries (rounded to float32 so every dtype sees the same points), labels, keys
    /// (null: the batch is its own keys) and each query's own key (null: none).
    /// </summary>
    private sealed record Problem(string Name, Tensor Queries, Tensor QueryLabels, Tensor? Keys, Tensor KeyLabels, Tensor? OwnKeys);

    private static Tensor Unit(long n, long d, Generator generator)
    {
        var x = randn(n, d, dtype: float64, generator: generator);
        return x.div(x.norm(1, keepdim: true)).to(float32).to(float64);
    }

    private static Tensor Labels(params long[] labels) => tensor(labels, dtype: int64);

    private static Tensor Range(long n)
    {
        using var count = n.ToScalar();
        return arange(Scalars.Zero, count, Scalars.One, dtype: int64);
    }

    // A memory of m random keys with labels below `classes`, holding a copy of the queries listed in `owners` at random slots.
    private static Problem Memory(string name, int seed, Tensor queryLabels, long m, long d, int classes, long[] owners, bool ownKeys = true)
    {
        var generator = new Generator((ulong)seed);
        long b = queryLabels.shape[0];
        var queries = Unit(b, d, generator);
        var keys = Unit(m, d, generator);
        var keyLabels = randint(0, classes, m, dtype: int64, generator: generator);
        var own = full(new[] { b }, Scalars.MinusOne, dtype: int64);
        if (owners.Length > 0)
        {
            var rows = Labels(owners);
            var slots = randperm(m, generator: generator).narrow(0, 0, owners.Length);
            keys.index_copy_(0, slots, queries.index_select(0, rows));
            keyLabels.index_copy_(0, slots, queryLabels.index_select(0, rows));
            own.index_copy_(0, rows, slots);
        }
        return new Problem(name, queries, queryLabels, keys, keyLabels, ownKeys ? own : null);
    }

    private static Problem Batch(string name, int seed, Tensor labels, long d)
    {
        var generator = new Generator((ulong)seed);
        long b = labels.shape[0];
        return new Problem(name, Unit(b, d, generator), labels, null, labels, Range(b));
    }

    private static IEnumerable<Problem> Problems(bool ties)
    {
        if (ties)
            yield return TiedMemory();
        yield return Batch("batch of 16 (4 classes × 4)", 101, Labels(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), d: 16);
        yield return Batch("batch of 5, a query without positive", 102, Labels(0, 1, 0, 2, 1), d: 8);
        yield return Batch("batch of 1 (no pair)", 103, Labels(0), d: 8);
        yield return Memory("memory of 64, 12 own slots", 104, Labels(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3), m: 64, d: 32, classes: 4,
            owners: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        yield return Memory("memory of 7, queries without positives", 105, Labels(0, 1, 2, 3, 4), m: 7, d: 8, classes: 3, owners: [0]);
        yield return Memory("memory of 1", 106, Labels(0, 1, 0, 1, 2), m: 1, d: 12, classes: 2, owners: []);
        yield return Memory("memory of 7, no own keys", 107, Labels(0, 1, 2, 1, 0), m: 7, d: 8, classes: 3, owners: [], ownKeys: false);
        yield return Memory("memory of 7, one class: queries without negatives", 108, Labels(0, 0, 0, 1, 1), m: 7, d: 8, classes: 1, owners: [1]);
    }

    // Entries ±0.5 in d = 4: every similarity is exactly −1, −0.5, 0, 0.5 or 1 in both dtypes, so pairs sit exactly on
    // the margins 0.5 and on one another, and many keys duplicate a query without being its own key. The comparisons are
    // strict in the fast forms and the references alike.
    private static Problem TiedMemory()
    {
        var generator = new Generator(110);
        using var half = 0.5.ToScalar();
        var queries = randint(0, 2, new long[] { 12, 4 }, generator: generator).to(float64).sub_(half);
        var keys = randint(0, 2, new long[] { 37, 4 }, generator: generator).to(float64).sub_(half);
        var queryLabels = Labels(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2);
        var keyLabels = randint(0, 3, 37, dtype: int64, generator: generator);
        var owners = Labels(0, 1, 2, 3, 4, 5);
        var slots = Labels(3, 9, 17, 20, 28, 36);
        keys.index_copy_(0, slots, queries.index_select(0, owners));
        keyLabels.index_copy_(0, slots, queryLabels.index_select(0, owners));
        var own = Labels(3, 9, 17, 20, 28, 36, -1, -1, -1, -1, -1, -1);
        return new Problem("memory of 37 with exact ties", queries, queryLabels, keys, keyLabels, own);
    }

    // No keys at all (training never computes a memory loss on an empty memory: it enqueues the batch first). Every
    // form gives 0 with a zero gradient.
    private static Problem EmptyMemory() => Memory("empty memory", 109, Labels(0, 1, 0, 1, 2), m: 0, d: 8, classes: 3, owners: []);

    /// <summary>The one place that calls a fast loss, with each query's own key index (or -1).</summary>
    private static PairLossOutput ComputeFast(IPairLoss loss, Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys) =>
        loss.Compute(queries, queryLabels, keys, keyLabels, ownKeys);

    private sealed record Result(double Value, double[] QueryGrad, double[]? KeyGrad);

    private static double[] Gradient(Tensor t) => t.grad is null ? new double[t.NumberOfElements] : t.grad.to(float64).data<double>().ToArray();

    // Queries (and keys for a batch) as fresh leaves of the dtype: the batch's keys are a separate leaf with the same values.
    private static (Tensor Queries, Tensor Keys) Leaves(Problem p, ScalarType dtype)
    {
        var queries = p.Queries.to(dtype).clone().requires_grad_(true);
        var keys = p.Keys is null ? p.Queries.to(dtype).clone().requires_grad_(true) : p.Keys.to(dtype);
        return (queries, keys);
    }

    private static Result Reference(Problem p, Func<Tensor, Tensor, Tensor> loss)
    {
        var (queries, keys) = Leaves(p, float64);
        var value = loss(queries, keys);
        value.backward();
        return new Result(value.item<double>(), Gradient(queries), p.Keys is null ? Gradient(keys) : null);
    }

    private static Result Fast(Problem p, IPairLoss loss, ScalarType dtype)
    {
        var (queries, keys) = Leaves(p, dtype);
        var value = ComputeFast(loss, queries, p.QueryLabels, keys, p.KeyLabels, p.OwnKeys).Loss;
        value.backward();
        return new Result(value.to(float64).item<double>(), Gradient(queries), p.Keys is null ? Gradient(keys) : null);
    }

    /// <summary>
    /// The fast forms: host rows (float32 CPU), tensor form in float32 and in float64, with their tolerances. The
    /// float64 one leaves room for the N-pair loss's softplus, which returns u itself above u = 20 (PyTorch's
    /// threshold): an error of up to e^{−20} ≈ 2e-9 per positive.
    /// </summary>
    private static readonly (string Name, bool HostRows, ScalarType DType, double Tolerance)[] Forms =
    [
        ("host rows, float32", true, float32, 1e-5),
        ("tensor form, float32", false, float32, 1e-5),
        ("tensor form, float64", false, float64, 1e-9),
    ];

    private static IPairLoss WithForm(IPairLoss loss, bool hostRows)
    {
        var inner = loss is MinedPairLoss mined ? mined.Loss : loss;
        ((PairLoss)inner).HostRows = hostRows;
        return loss;
    }

    // The largest error of the fast form against the reference, relative to max(|reference value|, 0.01) for the loss
    // and to max(largest |reference gradient entry|, 1e-3) for each gradient.
    private static double Error(Result reference, Result fast)
    {
        double error = Math.Abs(fast.Value - reference.Value) / Math.Max(Math.Abs(reference.Value), 1e-2);
        if (double.IsNaN(fast.Value))
            return double.PositiveInfinity;
        error = Math.Max(error, GradientError(reference.QueryGrad, fast.QueryGrad));
        if (reference.KeyGrad is not null)
            error = Math.Max(error, GradientError(reference.KeyGrad, fast.KeyGrad!));
        return error;
    }

    private static double GradientError(double[] reference, double[] fast)
    {
        double scale = Math.Max(reference.Length == 0 ? 0 : reference.Max(Math.Abs), 1e-3), error = 0;
        for (int i = 0; i < reference.Length; i++)
            error = Math.Max(error, double.IsFinite(fast[i]) ? Math.Abs(fast[i] - reference[i]) / scale : double.PositiveInfinity);
        return error;
    }


    // Batch-hard triplets, top-k weights and the hardest-negatives miner pick one of several tied pairs, and which one
    // is left to the implementation: the problem with exact ties is run for every other case.
    private static bool TieSafe(string what) => !what.Contains("BatchHard") && !what.Contains("topk") && !what.Contains("hardest_negatives");

    // Runs every problem through the reference (problem, queries, keys → loss) and the three fast forms; fails with
    // every disagreement listed.
    private void HoldToReference(string what, Func<IPairLoss> create, Func<Problem, Tensor, Tensor, Tensor> reference)
    {
        bool ties = TieSafe(what);
        using var outer = NewDisposeScope();
        var failures = new List<string>();
        var worst = new double[Forms.Length];
        bool anyLoss = false, anyGradient = false;
        foreach (var p in Problems(ties))
        {
            using var scope = NewDisposeScope();
            var expected = Reference(p, (queries, keys) => reference(p, queries, keys));
            Assert.True(double.IsFinite(expected.Value) && expected.QueryGrad.All(double.IsFinite) && (expected.KeyGrad ?? []).All(double.IsFinite),
                $"{what} / {p.Name}: reference not finite");
            anyLoss |= expected.Value != 0;
            anyGradient |= expected.QueryGrad.Any(g => g != 0);
            for (int f = 0; f < Forms.Length; f++)
            {
                var (form, hostRows, dtype, tolerance) = Forms[f];
                Result actual;
                try
                {
                    actual = Fast(p, WithForm(create(), hostRows), dtype);
                }
                catch (Exception e) when (e is ExternalException or ArgumentException)
                {
                    failures.Add($"{p.Name} / {form}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                    continue;
                }
                double error = Error(expected, actual);
                worst[f] = Math.Max(worst[f], error);
                if (!(error <= tolerance))
                    failures.Add($"{p.Name} / {form}: relative error {error:G3} (tolerance {tolerance:G1}); loss {actual.Value:R} against {expected.Value:R}");
            }
        }
        output.WriteLine($"{what}: worst relative error " + string.Join(", ", Forms.Select((f, i) => $"{f.Name} {worst[i]:G2}")));
        Assert.True(failures.Count == 0, $"{what}:\n" + string.Join("\n", failures));
        // The problems must exercise the loss: some non-zero value and gradient.
        Assert.True(anyLoss && anyGradient, $"{what}: the reference is 0 on every problem");
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void FastFormsMatchTheReference(string name)
    {
        var loss = Losses[name];
        HoldToReference(name, loss.Fast, (p, queries, keys) => loss.Full(queries, p.QueryLabels, keys, p.KeyLabels, p.OwnKeys));
    }

    [Theory]
    [MemberData(nameof(MinedNames))]
    public void MinedFastFormsMatchTheReferenceOnTheMinedPairs(string miner, string loss)
    {
        var m = Miners[miner];
        var l = Losses[loss];
        HoldToReference($"{miner} + {loss}", () => new MinedPairLoss(m.Fast(), (PairLoss)l.Fast()), (p, queries, keys) =>
        {
            // The reference loss on the pairs the reference miner keeps.
            var pairs = ReferencePairs.Create(p.QueryLabels, p.KeyLabels, p.OwnKeys);
            var s = queries.matmul(keys.t());
            return l.Reference(s, pairs.Restrict(m.Select(s.detach(), pairs)));
        });
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void AnEmptyMemoryGivesZeroLossAndGradient(string name)
    {
        using var scope = NewDisposeScope();
        var p = EmptyMemory();
        var loss = Losses[name];
        var expected = Reference(p, (queries, keys) => loss.Full(queries, p.QueryLabels, keys, p.KeyLabels, p.OwnKeys));
        Assert.Equal(0, expected.Value);
        Assert.All(expected.QueryGrad, g => Assert.Equal(0, g));
        foreach (var form in Forms)
        {
            var actual = Fast(p, WithForm(loss.Fast(), form.HostRows), form.DType);
            Assert.Equal(0, actual.Value);
            Assert.All(actual.QueryGrad, g => Assert.Equal(0, g));
        }
    }

    [Fact]
    public void TheRegistryInfoNceIsTheNPairLossWithEveryKeyInTheDenominator()
    {
        var loss = Assert.IsType<NPairLoss>(Losses["infonce (registry)"].Fast());
        Assert.Equal("infonce", loss.Name);
        Assert.Equal(NPairDenominator.All, loss.Options.Denominator);
    }

    [Fact]
    public void OwnKeysLeaveOutExactlyTheOwnPair()
    {
        // Query 0 owns key 2, query 1 owns none: only (0, 2) leaves the pairs.
        using var scope = NewDisposeScope();
        var pairs = ReferencePairs.Create(Labels(0, 1), Labels(0, 1, 0), Labels(2, -1));
        Assert.Equal(new[] { true, false, false, false, true, false }, pairs.Positives.data<bool>().ToArray());
        Assert.Equal(new[] { false, true, false, true, false, true }, pairs.Negatives.data<bool>().ToArray());
    }
}
