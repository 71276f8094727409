using Xbm.Cli;
using Xbm.Configuration;
using Xbm.Losses;
using Xbm.Reporting;
using Xbm.Studies;
using Xbm.Tests.Data;

namespace Xbm.Tests.Studies;

/// <summary>The pair-weighting study: its weightings, curve evaluation, table and the CLI end to end.</summary>
public sealed class WeightStudyTests : IDisposable
{
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void EachWeightingsOverrideMakesTheWeightedLossWithItsCurves()
    {
        foreach (var weighting in WeightCurveArm.Defaults)
        {
            var root = ConfigLoader.Parse("loss: {name: contrastive, margin: 0.5}\n", "x.yaml", new[] { weighting.LossOverride });
            var loss = Assert.IsType<DirectWeightLoss>(LossFactory.Create(root.Section("loss")));
            Assert.Equal(weighting.Curve(PairSide.Positive), loss.Options.Positive);
            Assert.Equal(weighting.Curve(PairSide.Negative), loss.Options.Negative);
        }
        // The step at 0.5 with constant positives is the contrastive loss (docs/design.md §2).
        var contrastive = WeightCurveArm.Defaults.Single(w => w.Name == "negatives step 0.5");
        Assert.Equal(new ConstantWeight(), contrastive.Curve(PairSide.Positive));
        Assert.Equal(new StepWeight { Threshold = 0.5 }, contrastive.Curve(PairSide.Negative));
    }

    [Fact]
    public void CurvesAreEvaluatedAsLonePairs()
    {
        double[] s = [-0.2, 0.5, 0.55, 0.9];
        Assert.Equal([0, 0, 1, 1], WeightCurvePlot.Evaluate(new StepWeight { Threshold = 0.5 }, PairSide.Negative, s));
        // A lone pair's normalised exponential weight is e^x / (1 + e^x), x = 40 (S − 0.5) for negatives.
        var exponential = WeightCurvePlot.Evaluate(new ExponentialWeight(), PairSide.Negative, s);
        for (int i = 0; i < s.Length; i++)
            Assert.Equal(1 / (1 + Math.Exp(-40 * (s[i] - 0.5))), exponential[i], 12);
        // Positives: hardness is −S, so the linear curve max(0, t − S) grows as S falls.
        Assert.Equal([1.2, 0.5, 0.45, 0.1], WeightCurvePlot.Evaluate(new LinearWeight { Threshold = 1, Slope = 1 }, PairSide.Positive, s).Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void TableShowsEachWeightingWithoutAndWithMemory()
    {
        var weightings = WeightCurveArm.Defaults.Take(2).ToList();
        var arms = WeightStudy.Arms(weightings, new[] { "memory.kind=fifo" });
        Assert.Equal(new[] { "negatives all, no memory", "negatives all, memory", "negatives step 0.3, no memory", "negatives step 0.3, memory" }, arms.Select(a => a.Name));
        Assert.Equal("memory=none", arms[0].Overrides[0]);
        Assert.Equal(new[] { "memory.kind=fifo", weightings[0].LossOverride }, arms[1].Overrides);

        var comparison = new ArmComparison();
        double[][] recall = [[0.80, 0.82], [0.70, 0.74], [0.81, 0.83], [0.85, 0.85]];
        for (int a = 0; a < arms.Count; a++)
            for (int seed = 0; seed < 2; seed++)
                comparison.Add(new ArmRun(arms[a].Name, seed, new Dictionary<string, double> { ["test/Recall@1"] = recall[a][seed] }, ""));
        string table = WeightStudy.Table(comparison, weightings, "test");
        Assert.Contains("| negatives all | w⁺ constant; w⁻ constant | 81.00 ± 1.41 | 72.00 ± 2.83 | -9.00 |", table);
        Assert.Contains("| negatives step 0.3 | w⁺ constant; w⁻ step (threshold 0.3) | 82.00 ± 1.41 | 85.00 ± 0.00 | +3.00 |", table);
        Assert.Equal("", WeightStudy.Table(comparison, weightings, "validation"));
    }

    [Fact]
    public void WeightsStudyRunsEndToEnd()
    {
        string config = StudyRunnerTests.TinyConfig(_temp.Path);
        string output = _temp.File("weights");
        Assert.Equal(0, CliApp.Run(["study", "weights", "--config", config, "--weightings", "negatives all,positives linear", "--seeds", "1",
            "--set", "memory.start_iteration=2", "--out", output]));
        string table = File.ReadAllText(Path.Combine(output, "weights.md"));
        Assert.Contains("| negatives all | w⁺ constant; w⁻ constant |", table);
        Assert.Contains("| positives linear |", table);
        Assert.Equal(1 + 2 * 2 * 2, File.ReadAllLines(Path.Combine(output, "weights.csv")).Length); // 2 weightings × 2 memory × 2 splits
        Assert.True(new FileInfo(Path.Combine(output, "curve-negatives-all.png")).Length > 1000);
        Assert.True(new FileInfo(Path.Combine(output, "curve-positives-linear.png")).Length > 1000);
        string withMemory = File.ReadAllText(Path.Combine(output, "positives-linear-memory-seed0", "config.yaml"));
        Assert.Contains("name: weighted", withMemory);
        Assert.Contains("kind: fifo", withMemory);
        Assert.Contains("curve: linear", withMemory);
        Assert.Contains("memory: none", File.ReadAllText(Path.Combine(output, "negatives-all-no-memory-seed0", "config.yaml")));
        Assert.Equal(2, CliApp.Run(["study", "weights", "--config", config, "--weightings", "nonsense", "--out", output]));
    }
}
