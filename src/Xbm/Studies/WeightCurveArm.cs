using Xbm.Configuration;
using Xbm.Losses;

namespace Xbm.Studies;

/// <summary>
/// One pair-weighting setting of the weighting study ("Rethinking Deep Contrastive Learning with Embedding
/// Memory"): the direct weight assignment loss with a positive and a negative weight curve, each written as
/// the config section of <see cref="WeightCurves.Create"/> (e.g. <c>{curve: step, threshold: 0.5}</c>).
/// </summary>
/// <param name="Name">The setting's name in tables and plots.</param>
/// <param name="Positive">The positive curve's keys (curve plus its parameters).</param>
/// <param name="Negative">The negative curve's keys.</param>
public sealed record WeightCurveArm(string Name, IReadOnlyDictionary<string, object?> Positive, IReadOnlyDictionary<string, object?> Negative)
{
    /// <summary>
    /// The study's default sweep: negatives all kept (constant 1), a step at 0.3, 0.5 (the contrastive loss) and
    /// 0.7, and multi-similarity-style exponential weights; positives constant except in two arms that weight
    /// them (exponential, linear) with the contrastive negatives.
    /// </summary>
    public static IReadOnlyList<WeightCurveArm> Defaults { get; } = new[]
    {
        new WeightCurveArm("negatives all", Curve("constant"), Curve("constant")),
        new WeightCurveArm("negatives step 0.3", Curve("constant"), Curve("step", ("threshold", "0.3"))),
        new WeightCurveArm("negatives step 0.5", Curve("constant"), Curve("step", ("threshold", "0.5"))),
        new WeightCurveArm("negatives step 0.7", Curve("constant"), Curve("step", ("threshold", "0.7"))),
        new WeightCurveArm("negatives exponential", Curve("constant"), Curve("exponential", ("scale", "40"), ("threshold", "0.5"))),
        new WeightCurveArm("positives exponential", Curve("exponential", ("scale", "2"), ("threshold", "0.5")), Curve("step", ("threshold", "0.5"))),
        new WeightCurveArm("positives linear", Curve("linear", ("threshold", "1"), ("slope", "1")), Curve("step", ("threshold", "0.5"))),
    };

    /// <summary>Builds a curve section: the curve name plus its keys.</summary>
    public static IReadOnlyDictionary<string, object?> Curve(string curve, params (string Key, string Value)[] keys)
    {
        var section = new Dictionary<string, object?> { ["curve"] = curve };
        foreach (var (key, value) in keys)
            section[key] = value;
        return section;
    }

    /// <summary>The override that makes a run use this setting: the whole loss section replaced by the weighted loss.</summary>
    public string LossOverride => $"loss={{name: weighted, positive: {Flow(Positive)}, negative: {Flow(Negative)}}}";

    /// <summary>The positive or negative curve, validated as a config would be.</summary>
    public IWeightCurve Curve(PairSide side)
    {
        var keys = side == PairSide.Positive ? Positive : Negative;
        var section = new ConfigSection(keys.ToDictionary(p => p.Key, p => p.Value), "study weights", $"{Name}.{(side == PairSide.Positive ? "positive" : "negative")}");
        return WeightCurves.Create(section, side, side == PairSide.Positive ? new ConstantWeight() : new StepWeight());
    }

    /// <summary>A one-line description, e.g. "w⁺ constant; w⁻ step (threshold 0.5)".</summary>
    public string Description => $"w⁺ {Describe(Positive)}; w⁻ {Describe(Negative)}";

    private static string Describe(IReadOnlyDictionary<string, object?> section)
    {
        var parameters = section.Where(p => p.Key != "curve").Select(p => $"{p.Key} {p.Value}").ToList();
        return parameters.Count == 0 ? $"{section["curve"]}" : $"{section["curve"]} ({string.Join(", ", parameters)})";
    }

    private static string Flow(IReadOnlyDictionary<string, object?> section) =>
        "{" + string.Join(", ", section.Select(p => $"{p.Key}: {p.Value}")) + "}";
}
