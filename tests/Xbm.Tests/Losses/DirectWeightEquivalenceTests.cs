using Xbm.Losses;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>The contrastive loss is direct weight assignment with w⁺ = 1 and w⁻ = step(0.5), value and gradient.</summary>
public class DirectWeightEquivalenceTests
{
    public static TheoryData<bool, bool> Modes() => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    private static (double Value, double[] Grad) Run(IPairLoss loss, PairTestData.Case data)
    {
        var q = data.Queries.detach().clone().requires_grad_(true);
        var output = loss.Compute(q, data.QueryLabels, data.KeysAreQueries ? q : data.Keys, data.KeyLabels, data.OwnKeys);
        output.Loss.backward();
        return (output.Loss.to(float64).item<double>(), q.grad!.to(float64).data<double>().ToArray());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ContrastiveEqualsConstantPositivesAndStepNegatives(bool memory, bool single)
    {
        using var scope = NewDisposeScope();
        var dtype = single ? float32 : float64;
        var data = memory ? PairTestData.Memory(seed: 11, d: 8, memory: 200, dtype: dtype) : PairTestData.Batch(seed: 11, classes: 6, perClass: 5, d: 8, dtype: dtype);
        var contrastive = Run(new ContrastiveLoss(), data);
        var weighted = Run(new DirectWeightLoss(new DirectWeightLossOptions { Positive = new ConstantWeight(), Negative = new StepWeight { Threshold = 0.5 } }), data);
        double tolerance = single ? 1e-5 : 1e-12;
        Assert.True(contrastive.Value > 0);
        Assert.Equal(contrastive.Value, weighted.Value, tolerance);
        for (int i = 0; i < contrastive.Grad.Length; i++)
            Assert.Equal(contrastive.Grad[i], weighted.Grad[i], tolerance);
    }

    [Fact]
    public void PositiveMarginEqualsAPositiveStep()
    {
        using var scope = NewDisposeScope();
        var data = PairTestData.Memory(seed: 12, d: 8, memory: 200);
        var contrastive = Run(new ContrastiveLoss(new ContrastiveLossOptions { PositiveMargin = 0.6, Reduction = "mean" }), data);
        var weighted = Run(new DirectWeightLoss(new DirectWeightLossOptions
        {
            Positive = new StepWeight { Threshold = 0.6 },
            Negative = new StepWeight { Threshold = 0.5 },
            Reduction = "mean",
        }), data);
        Assert.Equal(contrastive.Value, weighted.Value, 1e-12);
        for (int i = 0; i < contrastive.Grad.Length; i++)
            Assert.Equal(contrastive.Grad[i], weighted.Grad[i], 1e-12);
    }
}
