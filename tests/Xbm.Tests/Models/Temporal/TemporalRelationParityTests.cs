using Xbm.IO;
using Xbm.Models.Temporal;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Xbm.Tests.Models.Temporal;

/// <summary>
/// The C# multi-scale TRN reproduces tools/fixtures/make_trn_fixtures.py (a PyTorch restatement written from the
/// paper, run in float64) on B 3, N 5, D 8, bottleneck 16, E 6: the output for explicit tuples, the gradients of
/// sum(output · grad_output) with respect to the input and every parameter, and the eval-mode output with the
/// module's own fixed tuple choice. Tolerance: max |difference| ≤ 1e-5 (float32 against float64).
/// </summary>
public sealed class TemporalRelationParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    private const int Frames = 5;

    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Temporal", "trn_small.safetensors");

    private static TemporalRelation CreateWithFixtureWeights(Dictionary<string, Tensor> fixture)
    {
        var trn = new TemporalRelation(Frames, 8, 6, new TemporalRelationOptions { Bottleneck = 16, Subsample = 3 });
        var parameters = trn.named_parameters().ToList();
        Assert.Equal(fixture.Keys.Where(k => k.StartsWith("scales.", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            parameters.Select(p => p.name).Order(StringComparer.Ordinal));
        using (no_grad())
            foreach (var (name, p) in parameters)
            {
                Assert.Equal(fixture[name].shape, p.shape);
                p.copy_(fixture[name]);
            }
        return trn;
    }

    private static IReadOnlyList<IReadOnlyList<int[]>> Tuples(Dictionary<string, Tensor> fixture, string prefix, IReadOnlyList<int> scales) =>
        scales.Select(k =>
        {
            var t = fixture[$"{prefix}.{k}"];
            var values = t.data<long>().ToArray();
            return (IReadOnlyList<int[]>)Enumerable.Range(0, (int)t.shape[0]).Select(r => values.Skip(r * k).Take(k).Select(v => (int)v).ToArray()).ToArray();
        }).ToArray();

    private double MaxDiff(string what, Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var diff = actual.detach().sub(expected);
        double max = diff.abs().max().item<float>();
        double scale = expected.abs().max().item<float>();
        output.WriteLine($"{what}: max |diff| = {max:E3} (max |ref| = {scale:G4})");
        Assert.True(max <= Tolerance, $"{what}: max |diff| {max:E3} exceeds {Tolerance}");
        return max;
    }

    [Fact]
    public void OutputAndGradientsMatchTheReferenceForTheSameTuples()
    {
        using var scope = NewDisposeScope();
        var (fixture, _) = SafeTensors.Load(FixturePath);
        using var trn = CreateWithFixtureWeights(fixture);
        var input = fixture["input"].clone().requires_grad_(true);
        var result = trn.Forward(input, Tuples(fixture, "tuples", trn.Scales));
        MaxDiff("output", result, fixture["output"]);

        result.mul(fixture["grad_output"]).sum().backward();
        MaxDiff("grad.input", input.grad!, fixture["grad.input"]);
        foreach (var (name, p) in trn.named_parameters())
            MaxDiff("grad." + name, p.grad!, fixture["grad." + name]);
    }

    [Fact]
    public void EvalModeUsesTheDocumentedFixedTuplesAndMatchesTheReference()
    {
        using var scope = NewDisposeScope();
        var (fixture, _) = SafeTensors.Load(FixturePath);
        using var trn = CreateWithFixtureWeights(fixture);
        var expected = Tuples(fixture, "eval_tuples", trn.Scales);
        for (int s = 0; s < trn.Scales.Count; s++)
            Assert.Equal(expected[s].Select(t => string.Join(",", t)), trn.EvaluationTuples[s].Select(t => string.Join(",", t)));

        trn.eval();
        Tensor first, second;
        using (no_grad())
        {
            first = trn.forward(fixture["input"]);
            second = trn.forward(fixture["input"]);
        }
        MaxDiff("output_eval", first, fixture["output_eval"]);
        Assert.True(first.Same(second), "two eval passes differ");
    }

    [Fact]
    public void TheFixtureTuplesDifferFromTheEvalChoiceSoTheExplicitPathIsExercised()
    {
        var (fixture, _) = SafeTensors.Load(FixturePath);
        try
        {
            var scales = new[] { 5, 4, 3, 2 };
            var chosen = Tuples(fixture, "tuples", scales).SelectMany(s => s.Select(t => string.Join(",", t)));
            var fixedChoice = Tuples(fixture, "eval_tuples", scales).SelectMany(s => s.Select(t => string.Join(",", t)));
            Assert.NotEqual(fixedChoice, chosen);
            using var a = fixture["output"].sub(fixture["output_eval"]);
            Assert.True(a.abs().max().item<float>() > 1e-3, "the two fixture outputs coincide");
        }
        finally
        {
            foreach (var t in fixture.Values)
                t.Dispose();
        }
    }
}
