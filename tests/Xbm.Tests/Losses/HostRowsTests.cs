using Xbm.Configuration;
using TorchSharp;
using Xbm.Losses;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>
/// The host row forms of the losses (<see cref="RowEvaluator"/>) against their tensor forms and against brute force:
/// values, gradients w.r.t. the queries, and statistics, for every loss option with a row form, on batches and
/// memories whose key count is not a multiple of the eight-lane chunks, and with ties.
/// </summary>
public class HostRowsTests
{
    private static readonly Dictionary<string, Dictionary<string, object?>> Configs = new()
    {
        ["contrastive"] = new() { ["name"] = "contrastive" },
        ["contrastive, positive margin"] = new() { ["name"] = "contrastive", ["positive_margin"] = "0.8" },
        ["contrastive, mean"] = new() { ["name"] = "contrastive", ["reduction"] = "mean" },
        ["weighted"] = new() { ["name"] = "weighted" },
        ["weighted, exponential"] = new() { ["name"] = "weighted", ["negative"] = Curve("exponential") },
        ["weighted, exponential both"] = new()
        {
            ["name"] = "weighted", ["negative"] = Curve("exponential", ("scale", "10")), ["positive"] = Curve("exponential"),
        },
        ["weighted, exponential unnormalised"] = new() { ["name"] = "weighted", ["negative"] = Curve("exponential", ("normalize", "false"), ("scale", "4")) },
        ["weighted, linear"] = new() { ["name"] = "weighted", ["negative"] = Curve("linear", ("threshold", "0.1")), ["positive"] = Curve("linear") },
        ["weighted, step positives"] = new() { ["name"] = "weighted", ["positive"] = Curve("step", ("threshold", "0.7"), ("value", "2")) },
        ["multi_similarity"] = new() { ["name"] = "multi_similarity" },
        ["multi_similarity, no mining"] = new() { ["name"] = "multi_similarity", ["mining"] = "false" },
        ["lifted_structure"] = new() { ["name"] = "lifted_structure" },
        ["npair"] = new() { ["name"] = "npair" },
        ["infonce"] = new() { ["name"] = "infonce" },
        ["triplet all"] = new() { ["name"] = "triplet", ["strategy"] = "all" },
        ["triplet all, mean nonzero"] = new() { ["name"] = "triplet", ["strategy"] = "all", ["reduction"] = "mean_nonzero" },
        ["triplet semi_hard"] = new() { ["name"] = "triplet", ["strategy"] = "semi_hard", ["margin"] = "0.3" },
        ["triplet batch_hard"] = new() { ["name"] = "triplet", ["margin"] = "0.3" },
        ["triplet batch_hard, mean nonzero"] = new() { ["name"] = "triplet", ["margin"] = "0.05", ["reduction"] = "mean_nonzero" },
    };

    private static Dictionary<string, object?> Curve(string name, params (string Key, string Value)[] settings)
    {
        var section = new Dictionary<string, object?> { ["curve"] = name };
        foreach (var (key, value) in settings)
            section[key] = value;
        return section;
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string config in Configs.Keys)
            foreach (string input in new[] { "batch", "memory", "memory of 5", "sparse classes" })
                data.Add(config, input);
        return data;
    }

    private static IPairLoss Create(string config, bool hostRows)
    {
        var loss = LossFactory.Create(new ConfigSection(Configs[config], "host rows test", "loss"));
        PairLossOf(loss).HostRows = hostRows;
        return loss;
    }

    // The loss itself, inside the MinedPairLoss that multi-similarity mining makes.
    private static PairLoss PairLossOf(IPairLoss loss) => loss as PairLoss ?? ((MinedPairLoss)loss).Loss;

    private static PairTestData.Case Input(string input) => input switch
    {
        "batch" => PairTestData.Batch(seed: 3, classes: 5, perClass: 4, d: 8, dtype: float32),
        "memory" => PairTestData.Memory(seed: 4, classes: 4, perClass: 4, d: 8, memory: 61, dtype: float32),
        // Fewer keys than one chunk of eight: only the padded tail runs.
        "memory of 5" => PairTestData.Memory(seed: 5, classes: 2, perClass: 1, d: 8, memory: 5, dtype: float32),
        // Many classes over few keys: rows without positives and rows without negatives.
        _ => PairTestData.Memory(seed: 6, classes: 8, perClass: 2, d: 8, memory: 21, dtype: float32),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void HostRowsMatchTheTensorForm(string config, string input)
    {
        using var scope = NewDisposeScope();
        var data = Input(input);
        var host = Create(config, hostRows: true);
        var tensor = Create(config, hostRows: false);
        Assert.True(PairLossOf(host).HasRowForm, $"{config} has no row form");
        AssertSame(Run(tensor, data), Run(host, data), $"{config}/{input}");
    }

    /// <summary>
    /// The gradient product taken from G's non-zero entries (<see cref="SparseRowProduct"/>), forced here whatever
    /// the density, gives the tensor form's values and gradients for every loss with a row form; the batch (keys
    /// with gradient) keeps the dense product.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void SparseGradientProductMatchesTheTensorForm(string config, string input)
    {
        using var scope = NewDisposeScope();
        var data = Input(input);
        var host = Create(config, hostRows: true);
        PairLossOf(host).SparseProductDensity = 1.0;
        var tensor = Create(config, hostRows: false);
        AssertSame(Run(tensor, data), Run(host, data), $"{config}/{input}, sparse product");
        bool anyGradient = Run(tensor, data).Grad.Any(g => g != 0);
        Assert.Equal(input != "batch" && anyGradient, PairLossOf(host).LastProductWasSparse);
    }

    // The host form's value, gradient and statistics against the tensor form's.
    private static void AssertSame((double Value, double[] Grad, PairStatistics Stats) tensor, (double Value, double[] Grad, PairStatistics Stats) host, string what)
    {
        LossFixtureTests.AssertClose(tensor.Value, host.Value, 2e-5, $"{what}: loss");
        double scale = Math.Max(1e-3, tensor.Grad.Max(Math.Abs));
        for (int i = 0; i < host.Grad.Length; i++)
            LossFixtureTests.AssertClose(tensor.Grad[i], host.Grad[i], 2e-5, $"{what}: grad[{i}]", scale);
        Assert.Equal(tensor.Stats.Positives, host.Stats.Positives);
        Assert.Equal(tensor.Stats.Negatives, host.Stats.Negatives);
        LossFixtureTests.AssertClose(tensor.Stats.MeanPositiveSimilarity, host.Stats.MeanPositiveSimilarity, 1e-5, $"{what}: mean positive", 1);
        LossFixtureTests.AssertClose(tensor.Stats.MeanNegativeSimilarity, host.Stats.MeanNegativeSimilarity, 1e-5, $"{what}: mean negative", 1);
    }

    public static TheoryData<string, string, string> MinedCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string miner in new[] { "hardest_negatives", "hardest_negatives, k 1", "hardest_negatives, k 40", "multi_similarity", "pair_margin" })
            foreach (string config in new[] { "contrastive", "multi_similarity", "triplet all", "triplet batch_hard", "npair" })
                foreach (string input in new[] { "batch", "memory", "memory of 5", "sparse classes" })
                    data.Add(miner, config, input);
        return data;
    }

    private static IPairLoss CreateMined(string miner, string config, bool hostRows)
    {
        var settings = new Dictionary<string, object?> { ["name"] = miner.Split(',')[0] };
        if (miner.Contains(", k "))
            settings["k"] = miner.Split(", k ")[1];
        // Margins inside the range of these small random similarities, so both sides select some pairs and drop others.
        if (miner == "pair_margin")
            (settings["positive_margin"], settings["negative_margin"]) = ("0.3", "-0.1");
        var mined = Assert.IsType<MinedPairLoss>(LossFactory.Create(
            new ConfigSection(Configs[config], "host rows test", "loss"), new ConfigSection(settings, "host rows test", "miner")));
        mined.Loss.HostRows = hostRows;
        return mined;
    }

    [Theory]
    [MemberData(nameof(MinedCases))]
    public void MinedHostRowsMatchTheTensorForm(string miner, string config, string input)
    {
        // The built-in miners select row by row when the loss has a row form; the tensor form mines a B×M mask.
        using var scope = NewDisposeScope();
        var data = Input(input);
        AssertSame(Run(CreateMined(miner, config, hostRows: false), data), Run(CreateMined(miner, config, hostRows: true), data), $"{miner}/{config}/{input}");
    }

    [Fact]
    public void HardestNegativesRowFormKeepsExactlyTheKHighest()
    {
        // Brute force on one memory: the contrastive loss over the mined pairs equals the loss over every positive
        // and the k highest negatives of each row, picked by sorting.
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 12, classes: 4, perClass: 4, d: 8, memory: 61, dtype: float32);
        const int k = 5;
        var loss = CreateMined("hardest_negatives, k 5", "contrastive", hostRows: true);
        var output = loss.Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, data.OwnKeys);

        var s = data.Queries.matmul(data.Keys.t()).data<float>().ToArray();
        long[] ql = data.QueryLabels.data<long>().ToArray(), kl = data.KeyLabels.data<long>().ToArray();
        long[] own = data.OwnKeys.data<long>().ToArray();
        int b = ql.Length, m = kl.Length;
        double expected = 0;
        long negatives = 0;
        for (int i = 0; i < b; i++)
        {
            var row = Enumerable.Range(0, m).Where(j => own[i] != j).ToArray();
            foreach (int j in row.Where(j => kl[j] == ql[i]))
                expected += 1 - s[i * m + j];
            foreach (int j in row.Where(j => kl[j] != ql[i]).OrderByDescending(j => s[i * m + j]).Take(k))
            {
                // The contrastive loss: 1 − S per positive, S per negative above the margin 0.5.
                expected += s[i * m + j] > 0.5 ? s[i * m + j] : 0;
                negatives += s[i * m + j] > 0.5 ? 1 : 0;
            }
        }
        expected /= b; // sum_per_query
        Assert.True(expected > 0);
        LossFixtureTests.AssertClose(expected, output.Loss.to(float64).item<double>(), 1e-5, "loss");
        Assert.Equal(negatives, output.Pairs.Negatives);
    }

    private static (double Value, double[] Grad, PairStatistics Stats) Run(IPairLoss loss, PairTestData.Case data)
    {
        var queries = data.Queries.detach().clone().requires_grad_(true);
        var output = loss.Compute(queries, data.QueryLabels, data.KeysAreQueries ? queries : data.Keys, data.KeyLabels, data.OwnKeys);
        output.Loss.backward();
        var grad = queries.grad is null ? new double[queries.NumberOfElements] : queries.grad.to(float64).data<double>().ToArray();
        return (output.Loss.to(float64).item<double>(), grad, output.Pairs);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OwnKeysOfTheWrongShapeOrRangeAreRejectedByBothForms(bool hostRows)
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 4, d: 8, memory: 20, dtype: float32);
        var loss = Create("multi_similarity", hostRows);
        var wrong = zeros(data.Queries.shape[0], 20, dtype: int64);
        var error = Assert.Throws<ArgumentException>(() => loss.Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, wrong));
        Assert.Contains("ownKeys must hold one key index per query, shape [16], got [16, 20]", error.Message);
        var outside = data.OwnKeys.clone();
        outside[0] = tensor(20L);
        error = Assert.Throws<ArgumentException>(() => loss.Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, outside));
        Assert.Contains("ownKeys must hold key indices in [0, 20) or -1 for none, got 20", error.Message);
    }

    [Theory]
    [InlineData("one key")]
    [InlineData("all labels")]
    public void LabelsOutsideTheIntRangeTakeTheTensorFormWithTheSameResult(string outside)
    {
        // The host form reads labels as ints and declines labels beyond that range: one key of class 2⁴⁰ (the query
        // labels still fit), or every label l moved to 2³³ + l·2³² (distinct classes that would all truncate to the same
        // int). Both forms then give one result; a host form that truncated would join classes and differ.
        using var scope = NewDisposeScope();
        var data = Input("memory");
        var moved = data with { KeyLabels = data.KeyLabels.clone(), QueryLabels = data.QueryLabels.clone() };
        if (outside == "one key")
            moved.KeyLabels[3] = tensor(1L << 40);
        else
            moved = moved with { KeyLabels = Shifted(moved.KeyLabels), QueryLabels = Shifted(moved.QueryLabels) };
        var host = Create("contrastive", hostRows: true);
        AssertSame(Run(Create("contrastive", hostRows: false), moved), Run(host, moved), $"labels beyond the int range ({outside})");
        AssertSame(Run(Create("contrastive", hostRows: false), data), Run(host, data), "the same loss again, labels in range");
    }

    private static Tensor Shifted(Tensor labels) => tensor(labels.data<long>().ToArray().Select(l => (1L << 33) + l * (1L << 32)).ToArray());

    [Fact]
    public void ReusedBuffersDoNotCorruptAnEarlierGraph()
    {
        // One loss instance evaluates the batch (its keys carry gradient, so its gradient matrix stays in the graph)
        // and two memories before a single backward pass, as a training step with memory does.
        using var scope = NewDisposeScope();
        var batch = PairTestData.Batch(seed: 8, classes: 4, perClass: 4, d: 8, dtype: float32);
        var first = PairTestData.Memory(seed: 8, classes: 4, perClass: 4, d: 8, memory: 40, dtype: float32);
        var second = PairTestData.Memory(seed: 9, classes: 4, perClass: 4, d: 8, memory: 29, dtype: float32);
        double[] Gradient(bool hostRows)
        {
            var loss = Create("multi_similarity", hostRows);
            var q = batch.Queries.detach().clone().requires_grad_(true);
            using var half = 0.5.ToScalar();
            var total = loss.Compute(q, batch.QueryLabels, q, batch.QueryLabels, batch.OwnKeys).Loss
                .add(loss.Compute(q, first.QueryLabels, first.Keys, first.KeyLabels, first.OwnKeys).Loss, Scalars.One)
                .add(loss.Compute(q, second.QueryLabels, second.Keys, second.KeyLabels, second.OwnKeys).Loss.mul(half), Scalars.One);
            total.backward();
            return q.grad!.to(float64).data<double>().ToArray();
        }
        var host = Gradient(true);
        var tensor = Gradient(false);
        double scale = tensor.Max(Math.Abs);
        Assert.True(scale > 0);
        for (int i = 0; i < host.Length; i++)
            LossFixtureTests.AssertClose(tensor[i], host[i], 2e-5, $"grad[{i}]", scale);
    }

    [Theory]
    [InlineData("all", 0.5)]
    [InlineData("semi_hard", 0.75)]
    public void TripletRowsCountTiesLikeBruteForce(string strategy, double margin)
    {
        // Embeddings with entries ±0.5 in d = 4: every similarity is exactly −1, −0.5, 0, 0.5 or 1 in float32, so
        // positives and negatives tie all the time (margins are sums of those values, or fall between them).
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(11);
        int b = 12, m = 37;
        using var half = 0.5.ToScalar();
        using var three = 3.ToScalar();
        var queries = randint(0, 2, new long[] { b, 4 }, generator: generator).to(float32).sub_(half).requires_grad_(true);
        var keys = randint(0, 2, new long[] { m, 4 }, generator: generator).to(float32).sub_(half);
        var queryLabels = arange(Scalars.Zero, three, Scalars.One, dtype: int64).repeat_interleave(4);
        var keyLabels = randint(0, 3, new long[] { m }, dtype: int64, generator: generator);
        var loss = (PairLoss)LossFactory.Create(new ConfigSection(
            new Dictionary<string, object?> { ["name"] = "triplet", ["strategy"] = strategy, ["margin"] = margin.ToString(System.Globalization.CultureInfo.InvariantCulture), ["reduction"] = "sum_per_query" }, "test", "loss"));
        Assert.True(loss.HostRows);
        var output = loss.Compute(queries, queryLabels, keys, keyLabels);
        output.Loss.backward();

        // Brute force over every (i, p, n) in double on the exact similarities.
        var s = queries.detach().to(float64).matmul(keys.to(float64).t()).data<double>().ToArray();
        long[] ql = queryLabels.data<long>().ToArray(), kl = keyLabels.data<long>().ToArray();
        var g = new double[b * m];
        double expected = 0;
        for (int i = 0; i < b; i++)
            for (int p = 0; p < m; p++)
                for (int n = 0; n < m; n++)
                {
                    if (kl[p] != ql[i] || kl[n] == ql[i])
                        continue;
                    double sp = s[i * m + p], sn = s[i * m + n];
                    bool violating = sp < sn + margin && (strategy == "all" || sp > sn);
                    if (!violating)
                        continue;
                    expected += sn + margin - sp;
                    g[i * m + n] += 1;
                    g[i * m + p] -= 1;
                }
        // sum_per_query: the sum over triplets divided by B.
        expected /= b;
        using var queryCount = b.ToScalar();
        var expectedGrad = from(g).reshape(b, m).matmul(keys.to(float64)).div(queryCount).data<double>().ToArray();
        Assert.True(expected > 0);
        LossFixtureTests.AssertClose(expected, output.Loss.to(float64).item<double>(), 1e-6, $"{strategy}: loss");
        var grad = queries.grad!.to(float64).data<double>().ToArray();
        double scale = expectedGrad.Max(Math.Abs);
        for (int i = 0; i < grad.Length; i++)
            LossFixtureTests.AssertClose(expectedGrad[i], grad[i], 1e-6, $"{strategy}: grad[{i}]", scale);
    }

    private static Tensor from(double[] values) => tensor(values, dtype: float64);
}
