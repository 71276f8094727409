using Xbm.Configuration;
using Xbm.Data;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>The evaluation section's one owner: its keys, and evaluation.recall_at applied over the protocols' own K.</summary>
public class EvaluationConfigTests
{
    private static readonly DatasetSplits Data = new("synthetic", new SyntheticImageSet(4, 5), null,
        [new EvaluationSet("test", new SyntheticImageSet(3, 5, firstClass: 4), null, [1, 2, 4, 8])]);

    private static ConfigSection Section(params (string Key, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => v.Value), "test.yaml", "evaluation");

    [Fact]
    public void TheProtocolsKeepTheirOwnKWithoutAnOverride()
    {
        var config = EvaluationConfig.Read(Section());
        Assert.Equal((0L, "test", 256), (config.Every, config.On, config.BatchSize));
        Assert.Null(config.RecallAt);
        Assert.Equal([1, 2, 4, 8], config.CreateEvaluator(Data, CPU, null).Sets("test")[0].RecallAt);
        Assert.Equal([1, 2, 4, 8], Data.Test[0].RecallAt);
    }

    [Fact]
    public void RecallAtReplacesTheProtocolsKInTheEvaluatorOnly()
    {
        var evaluator = EvaluationConfig.Read(Section(("recall_at", new List<object?> { "1", "5" }))).CreateEvaluator(Data, CPU, null);
        Assert.Equal([1, 5], evaluator.Sets("test")[0].RecallAt);
        Assert.Equal([1, 5], evaluator.WithRecallOnly().Sets("test")[0].RecallAt);
        Assert.Equal([1, 2, 4, 8], Data.Test[0].RecallAt); // the data's protocols are not rewritten
    }

    [Fact]
    public void ValidationWithoutAValidationSplitAndUnknownKeysAreErrorsNamingTheFile()
    {
        var validation = Assert.Throws<ConfigException>(() => EvaluationConfig.Read(Section(("on", "validation"))).CreateEvaluator(Data, CPU, null));
        Assert.StartsWith("test.yaml: evaluation.on: validation, but the data has no validation split", validation.Message);
        var unknown = Assert.Throws<ConfigException>(() => EvaluationConfig.Read(Section(("recal_at", "1"))));
        Assert.StartsWith("test.yaml: evaluation.recal_at: unknown key", unknown.Message);
    }
}
