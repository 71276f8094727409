using TorchSharp;
using TorchSharp.Modules;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

public class FreezingTests
{
    private static Dictionary<string, Tensor> RunningStatistics(nn.Module module) =>
        module.state_dict().Where(p => p.Key.Contains("running_", StringComparison.Ordinal) || p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value.clone());

    private static void TrainingForward(nn.Module<Tensor, Tensor> model, long size = 32)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var three = 3.ToScalar();
        model.forward(randn(4, 3, size, size).mul(three).add(Scalars.One, Scalars.One)).sum().backward();
    }

    [Fact]
    public void FrozenBatchNormKeepsRunningStatisticsDuringATrainingForward()
    {
        using var scope = NewDisposeScope();
        using var model = new EmbeddingModel(new ResNet(18, new BackboneOptions { FreezeBatchNormStatistics = true }), 16);
        model.train();
        var before = RunningStatistics(model);

        TrainingForward(model);

        Assert.True(model.training);
        Assert.NotEmpty(model.modules().OfType<Xbm.Models.BatchNorm2d>());
        Assert.All(model.modules().OfType<Xbm.Models.BatchNorm2d>(), bn => Assert.False(bn.training));
        Assert.All(model.modules().OfType<Conv2d>(), conv => Assert.True(conv.training));
        foreach (var (key, value) in RunningStatistics(model))
            Assert.True(value.Same(before[key]), $"{key} changed although BatchNorm is frozen");
        Assert.NotNull(model.Backbone.state_dict()["bn1.weight"].grad); // the affine parameters still learn
    }

    [Fact]
    public void UnfrozenBatchNormUpdatesRunningStatistics()
    {
        using var scope = NewDisposeScope();
        using var model = new EmbeddingModel(new ResNet(18), 16);
        model.train();
        var before = RunningStatistics(model);

        TrainingForward(model);

        Assert.False(model.state_dict()["backbone.bn1.running_mean"].Same(before["backbone.bn1.running_mean"]));
        Assert.Equal(1, model.state_dict()["backbone.layer4.1.bn2.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void FrozenAffineParametersGetNoGradient()
    {
        using var scope = NewDisposeScope();
        using var backbone = new GoogLeNet(new BackboneOptions { FreezeBatchNormStatistics = true, FreezeBatchNormAffine = true });
        Assert.True(backbone.BatchNormAffineFrozen);
        Assert.NotEmpty(backbone.modules().OfType<Xbm.Models.BatchNorm2d>());
        Assert.All(backbone.modules().OfType<Xbm.Models.BatchNorm2d>().SelectMany(bn => bn.parameters()), p => Assert.False(p.requires_grad));
        Assert.All(backbone.modules().OfType<Conv2d>().SelectMany(c => c.parameters()), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void AffineFreezingWithoutStatisticsFreezingIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new ResNet(18, new BackboneOptions { FreezeBatchNormAffine = true }));
    }

    [Fact]
    public void FrozenStagesGetNoGradientStayInEvalModeAndAdamLeavesThemUnchanged()
    {
        using var scope = NewDisposeScope();
        using var model = new EmbeddingModel(new ResNet(18, new BackboneOptions { FrozenStages = 2 }), 16);
        Assert.Equal(5, model.Backbone.StageCount);
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.False(named["backbone.conv1.weight"].requires_grad);
        Assert.False(named["backbone.layer1.1.conv2.weight"].requires_grad);
        Assert.True(named["backbone.layer2.0.conv1.weight"].requires_grad);
        Assert.True(named["head.fc.weight"].requires_grad);

        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        // Our Adam (TorchSharp's own makes temporary Scalars in step), with optim.Adam's default beta2 of 0.99.
        using var optimizer = new Xbm.Training.Optimizers.Adam(model.parameters(), 1e-2, beta2: 0.99, weightDecay: 5e-4);
        model.train();
        Assert.False(model.modules().OfType<Xbm.Models.BatchNorm2d>().First().training); // bn1 of the frozen stem
        TrainingForward(model);
        optimizer.step();

        var after = model.state_dict();
        Assert.True(after["backbone.conv1.weight"].Same(before["backbone.conv1.weight"]));
        Assert.True(after["backbone.layer1.0.bn1.running_mean"].Same(before["backbone.layer1.0.bn1.running_mean"]));
        Assert.False(after["backbone.layer2.0.conv1.weight"].Same(before["backbone.layer2.0.conv1.weight"]));
        Assert.False(after["backbone.layer2.0.bn1.running_mean"].Same(before["backbone.layer2.0.bn1.running_mean"]));
    }

    [Fact]
    public void EvalAfterTrainPutsEverythingInEvalMode()
    {
        using var backbone = new BnInception(new BackboneOptions { FreezeBatchNormStatistics = true, FrozenStages = 1 });
        backbone.train();
        backbone.eval();
        Assert.All(backbone.modules(), m => Assert.False(m.training));
        backbone.train();
        Assert.Contains(backbone.modules().OfType<Conv2d>(), c => c.training);
        Assert.NotEmpty(backbone.modules().OfType<Xbm.Models.BatchNorm2d>());
        Assert.DoesNotContain(backbone.modules().OfType<Xbm.Models.BatchNorm2d>(), bn => bn.training);
    }

    [Fact]
    public void TooManyFrozenStagesAreRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GoogLeNet(new BackboneOptions { FrozenStages = 5 }));
        Assert.Contains("4 stages", e.Message);
    }
}
