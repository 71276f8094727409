using Xbm.Configuration;
using TorchSharp;
using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>Degenerate inputs: no positive, no negative, every pair satisfied, a single class.</summary>
public class LossEdgeCaseTests
{
    /// <summary>Losses that need a positive and a negative per query (they contribute 0 otherwise).</summary>
    private static readonly HashSet<string> Paired = new() { "multi_similarity", "triplet", "triplet_semi_hard", "triplet_all", "lifted_structure", "npair", "infonce" };

    public static TheoryData<string> AllLosses()
    {
        var data = new TheoryData<string>();
        foreach (string name in Configs.Keys)
            data.Add(name);
        return data;
    }

    private static readonly Dictionary<string, Dictionary<string, object?>> Configs = new()
    {
        ["contrastive"] = new() { ["name"] = "contrastive" },
        ["multi_similarity"] = new() { ["name"] = "multi_similarity" },
        ["triplet"] = new() { ["name"] = "triplet" },
        ["triplet_semi_hard"] = new() { ["name"] = "triplet", ["strategy"] = "semi_hard" },
        ["triplet_all"] = new() { ["name"] = "triplet", ["strategy"] = "all" },
        ["lifted_structure"] = new() { ["name"] = "lifted_structure" },
        ["npair"] = new() { ["name"] = "npair" },
        ["infonce"] = new() { ["name"] = "infonce" },
        ["weighted"] = new() { ["name"] = "weighted", ["negative"] = new Dictionary<string, object?> { ["curve"] = "exponential" } },
    };

    private static IPairLoss Create(string name, params (string Key, object? Value)[] overrides)
    {
        var config = new Dictionary<string, object?>(Configs[name]);
        foreach (var (key, value) in overrides)
            config[key] = value;
        return LossFactory.Create(new ConfigSection(config, "edge", "loss"));
    }

    private static (double Loss, Tensor Grad, PairStatistics Stats) Run(IPairLoss loss, Tensor queries, Tensor queryLabels, Tensor? keys, Tensor keyLabels, Tensor ownKeys)
    {
        var q = queries.detach().clone().requires_grad_(true);
        var output = loss.Compute(q, queryLabels, keys ?? q, keyLabels, ownKeys);
        output.Loss.backward();
        double value = output.Loss.item<double>();
        Assert.True(double.IsFinite(value), $"loss {value}");
        Assert.NotNull(q.grad);
        Assert.True(q.grad!.isfinite().all().item<bool>(), "gradient not finite");
        return (value, q.grad!, output.Pairs);
    }

    private static Tensor Unit(double[,] rows) => PairTestData.Normalised(tensor(rows, dtype: float64));

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void QueryWithoutPositiveAmongTheKeys(string name)
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 3);
        // Query 0 gets a label that no key has, except its own (ignored) slot.
        var queryLabels = data.QueryLabels.clone();
        queryLabels[0] = tensor(99L);
        var keyLabels = data.KeyLabels.clone();
        using var unknown = 99L.ToScalar();
        keyLabels.index_fill_(0, data.OwnKeys.narrow(0, 0, 1), unknown);

        var (_, grad, _) = Run(Create(name), data.Queries, queryLabels, data.Keys, keyLabels, data.OwnKeys);
        if (Paired.Contains(name))
            Assert.Equal(0.0, grad[0].abs().max().item<double>());
    }

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void NoNegativeAmongTheKeys(string name)
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 4);
        var queryLabels = zeros_like(data.QueryLabels);
        var keyLabels = zeros_like(data.KeyLabels);
        var (loss, grad, stats) = Run(Create(name), data.Queries, queryLabels, data.Keys, keyLabels, data.OwnKeys);
        Assert.Equal(0, stats.Negatives);
        Assert.True(double.IsNaN(stats.MeanNegativeSimilarity));
        if (Paired.Contains(name))
        {
            Assert.Equal(0.0, loss);
            Assert.Equal(0.0, grad.abs().max().item<double>());
        }
    }

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void SingleClassInTheBatch(string name)
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Batch(seed: 5);
        using var three = 3L.ToScalar();
        var labels = full_like(data.QueryLabels, three);
        var (loss, grad, stats) = Run(Create(name), data.Queries, labels, null, labels, data.OwnKeys);
        Assert.Equal(0, stats.Negatives);
        if (Paired.Contains(name))
        {
            Assert.Equal(0.0, loss);
            Assert.Equal(0.0, grad.abs().max().item<double>());
        }
        else
        {
            Assert.True(loss > 0, "the positives still pull");
        }
    }

    public static TheoryData<string, string, string> SatisfiedConfigs() => new()
    {
        // name, extra key, value: each makes every pair of the well-separated data below inactive.
        { "contrastive", "positive_margin", "0.8" },
        { "multi_similarity", "epsilon", "0.1" },
        { "triplet", "margin", "0.1" },
        { "triplet_semi_hard", "margin", "0.1" },
        { "triplet_all", "margin", "0.1" },
        { "lifted_structure", "margin", "-1" },
    };

    [Theory]
    [MemberData(nameof(SatisfiedConfigs))]
    public void AllPairsBeyondTheMarginGiveExactlyZero(string name, string key, string value)
    {
        using var scope = NewDisposeScope();
        // Two tight, opposite classes: positives S > 0.95, negatives S < -0.9.
        var points = Unit(new double[,] { { 1, 0.05 }, { 1, -0.05 }, { 1, 0.1 }, { -1, 0.05 }, { -1, -0.05 }, { -1, 0.1 } });
        var labels = tensor(new long[] { 0, 0, 0, 1, 1, 1 });
        foreach (bool memory in new[] { false, true })
        {
            var keys = memory ? points.clone() : null;
            var (loss, grad, stats) = Run(Create(name, (key, value)), points, labels, keys, labels, PairTestData.Self(6));
            Assert.Equal(0.0, loss);
            Assert.Equal(0.0, grad.abs().max().item<double>());
            Assert.Equal(0, stats.Positives + stats.Negatives);
        }
    }

    [Fact]
    public void WeightedWithStepCurvesIsZeroWhenEveryPairIsEasy()
    {
        using var scope = NewDisposeScope();
        var points = Unit(new double[,] { { 1, 0.05 }, { 1, -0.05 }, { -1, 0.05 }, { -1, -0.05 } });
        var labels = tensor(new long[] { 0, 0, 1, 1 });
        var loss = new DirectWeightLoss(new DirectWeightLossOptions { Positive = new StepWeight { Threshold = 0.8 }, Negative = new StepWeight() });
        var (value, grad, _) = Run(loss, points, labels, null, labels, PairTestData.Self(4));
        Assert.Equal(0.0, value);
        Assert.Equal(0.0, grad.abs().max().item<double>());
    }

    [Fact]
    public void KeysWithoutGradientGetNone()
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 6);
        var output = new ContrastiveLoss().Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, data.OwnKeys);
        output.Loss.backward();
        Assert.False(data.Keys.requires_grad);
        Assert.NotNull(data.Queries.grad);
    }

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void NoGradientTrackingGivesTheSameValue(string name)
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 6);
        double tracked = Create(name).Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, data.OwnKeys).Loss.item<double>();
        using var noGrad = no_grad();
        var plain = Create(name).Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, data.OwnKeys).Loss;
        Assert.False(plain.requires_grad);
        Assert.Equal(tracked, plain.item<double>(), 12);
    }

    [Fact]
    public void MismatchedShapesAreClearErrors()
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 6);
        var loss = new ContrastiveLoss();
        var error = Assert.Throws<ArgumentException>(() => loss.Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels.narrow(0, 0, 3)));
        Assert.Contains("key labels", error.Message);
        error = Assert.Throws<ArgumentException>(() => loss.Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, data.OwnKeys.narrow(0, 0, 3)));
        Assert.Contains("ownKeys must hold one key index per query, shape [16], got [3]", error.Message);
        error = Assert.Throws<ArgumentException>(() => loss.Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, data.OwnKeys.to(int32)));
        Assert.Contains("ownKeys must be int64, got Int32", error.Message);
        foreach (long bad in new[] { -2L, 48L })
        {
            var own = data.OwnKeys.clone();
            own[5] = tensor(bad);
            error = Assert.Throws<ArgumentException>(() => loss.Compute(data.Queries, data.QueryLabels, data.Keys, data.KeyLabels, own));
            Assert.Contains($"ownKeys must hold key indices in [0, 48) or -1 for none, got {bad}", error.Message);
        }
    }
}
