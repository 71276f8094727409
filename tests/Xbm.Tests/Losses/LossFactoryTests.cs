using Xbm.Configuration;
using Xbm.Losses;
using Xbm.Miners;

namespace Xbm.Tests.Losses;

public class LossFactoryTests
{
    private static ConfigSection Section(string path, params (string Key, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => v.Value), "configs/run.yaml", path);

    [Fact]
    public void NamesCoverEveryLoss()
    {
        Assert.Equal(new[] { "contrastive", "multi_similarity", "triplet", "lifted_structure", "npair", "infonce", "weighted" }, LossFactory.Names);
        foreach (string name in LossFactory.Names)
            Assert.Equal(name, LossFactory.Create(Section("loss", ("name", name))).Name);
        Assert.Equal(new[] { "pair_margin", "multi_similarity", "hardest_negatives" }, MinerFactory.Names);
    }

    [Fact]
    public void OptionsAreRead()
    {
        var ms = Assert.IsType<MultiSimilarityLoss>(LossFactory.Create(Section("loss",
            ("name", "multi_similarity"), ("alpha", "3"), ("beta", "50"), ("lambda", "0.4"), ("epsilon", "0.2"), ("mining", "false"), ("reduction", "mean"))));
        Assert.Equal(new MultiSimilarityLossOptions { Alpha = 3, Beta = 50, Lambda = 0.4, Reduction = "mean" }, ms.Options);
        Assert.Equal("mean", ms.Reducer.Name);

        var triplet = Assert.IsType<TripletMarginLoss>(LossFactory.Create(Section("loss", ("name", "triplet"), ("strategy", "semi_hard"), ("margin", "0.2"))));
        Assert.Equal(TripletStrategy.SemiHard, triplet.Options.Strategy);
        Assert.Equal("mean", triplet.Reducer.Name);

        var infonce = Assert.IsType<NPairLoss>(LossFactory.Create(Section("loss", ("name", "infonce"), ("temperature", "0.07"))));
        Assert.Equal(NPairDenominator.All, infonce.Options.Denominator);
        Assert.Equal(NPairDenominator.Negatives, Assert.IsType<NPairLoss>(LossFactory.Create(Section("loss", ("name", "npair")))).Options.Denominator);

        var weighted = Assert.IsType<DirectWeightLoss>(LossFactory.Create(Section("loss", ("name", "weighted"),
            ("positive", "exponential"),
            ("negative", new Dictionary<string, object?> { ["curve"] = "topk", ["k"] = "7" }))));
        Assert.Equal(new ExponentialWeight { Scale = 2 }, weighted.Options.Positive);
        Assert.Equal(new TopKWeight { K = 7 }, weighted.Options.Negative);

        var defaults = Assert.IsType<DirectWeightLoss>(LossFactory.Create(Section("loss", ("name", "weighted"))));
        Assert.IsType<ConstantWeight>(defaults.Options.Positive);
        Assert.Equal(new StepWeight { Threshold = 0.5 }, defaults.Options.Negative);
    }

    [Fact]
    public void OwnKeysAreCheckedAgainstAnEmptyMemoryToo()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var queries = TorchSharp.torch.randn(3, 4);
        var labels = TorchSharp.torch.zeros(3, dtype: TorchSharp.torch.int64);
        var keys = TorchSharp.torch.zeros(0, 4);
        var keyLabels = TorchSharp.torch.zeros(0, dtype: TorchSharp.torch.int64);
        var none = TorchSharp.torch.full(3, Xbm.Runtime.Scalars.MinusOne, dtype: TorchSharp.torch.int64);
        Assert.Equal(0, new ContrastiveLoss().Compute(queries, labels, keys, keyLabels, none).Loss.item<float>());
        var slot = TorchSharp.torch.zeros(3, dtype: TorchSharp.torch.int64); // slot 0 does not exist in an empty memory
        var error = Assert.Throws<ArgumentException>(() => new ContrastiveLoss().Compute(queries, labels, keys, keyLabels, slot));
        Assert.Contains("[0, 0)", error.Message);
    }

    [Fact]
    public void MultiSimilarityMiningIsTheMinerComposedWithTheLoss()
    {
        // mining: true (the default) composes the multi-similarity miner, with the loss section's epsilon, and the loss.
        var mined = Assert.IsType<MinedPairLoss>(LossFactory.Create(Section("loss", ("name", "multi_similarity"), ("epsilon", "0.2"))));
        Assert.Equal("multi_similarity", mined.Name);
        Assert.Equal(0.2, Assert.IsType<MultiSimilarityMiner>(mined.Miner).Epsilon);
        Assert.IsType<MultiSimilarityLoss>(mined.Loss);
        Assert.Equal(0.1, Assert.IsType<MultiSimilarityMiner>(Assert.IsType<MinedPairLoss>(LossFactory.Create(Section("loss", ("name", "multi_similarity")))).Miner).Epsilon);

        // With a configured miner, the multi-similarity mining selects among that miner's pairs.
        var chained = Assert.IsType<MinedPairLoss>(LossFactory.Create(Section("loss", ("name", "multi_similarity")), Section("miner", ("name", "pair_margin"))));
        var chain = Assert.IsType<ChainedMiner>(chained.Miner);
        Assert.IsType<PairMarginMiner>(chain.First);
        Assert.IsType<MultiSimilarityMiner>(chain.Then);
        Assert.IsType<PairMarginMiner>(Assert.IsType<MinedPairLoss>(LossFactory.Create(
            Section("loss", ("name", "multi_similarity"), ("mining", "false")), Section("miner", ("name", "pair_margin")))).Miner);
    }

    [Fact]
    public void AMinerWrapsTheLoss()
    {
        var mined = Assert.IsType<MinedPairLoss>(LossFactory.Create(Section("loss", ("name", "triplet")),
            Section("miner", ("name", "hardest_negatives"), ("k", "3"))));
        Assert.Equal("triplet", mined.Name);
        Assert.Equal(3, Assert.IsType<HardestNegativeMiner>(mined.Miner).K);
        Assert.IsType<ContrastiveLoss>(LossFactory.Create(Section("loss"), Section("miner")));
        Assert.IsType<ContrastiveLoss>(LossFactory.Create(Section("loss"), Section("miner", ("name", "none"))));
    }

    [Theory]
    [InlineData("contrastive", "margn", "loss.margn")]
    [InlineData("multi_similarity", "gamma", "loss.gamma")]
    [InlineData("triplet", "alpha", "loss.alpha")]
    [InlineData("npair", "margin", "loss.margin")]
    public void UnknownKeysNameTheKeyAndTheFile(string name, string key, string path)
    {
        var error = Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss", ("name", name), (key, "1"))));
        Assert.Contains("configs/run.yaml", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void BadValuesAndNestedKeysAreNamed()
    {
        Assert.Contains("loss.name", Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss", ("name", "arcface")))).Message);
        Assert.Contains("loss.reduction", Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss", ("reduction", "median")))).Message);
        Assert.Contains("loss.strategy", Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss", ("name", "triplet"), ("strategy", "hardest")))).Message);
        Assert.Contains("loss.beta", Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss", ("name", "multi_similarity"), ("beta", "lots")))).Message);
        var nested = Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss", ("name", "weighted"),
            ("negative", new Dictionary<string, object?> { ["curve"] = "step", ["slope"] = "2" }))));
        Assert.Contains("loss.negative.slope", nested.Message);
        Assert.Contains("configs/run.yaml", nested.Message);
        Assert.Contains("loss.positive.curve", Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss", ("name", "weighted"), ("positive", "cubic")))).Message);
        Assert.Contains("miner.k", Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss"), Section("miner", ("name", "pair_margin"), ("k", "3")))).Message);
        Assert.Contains("miner.name", Assert.Throws<ConfigException>(() => LossFactory.Create(Section("loss"), Section("miner", ("name", "random")))).Message);
    }
}
