using Xbm.Configuration;

namespace Xbm.Losses;

/// <summary>Creates weight curves from config sections such as <c>negative: {curve: step, threshold: 0.5}</c>.</summary>
public static class WeightCurves
{
    /// <summary>The curve names.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "constant", "step", "linear", "exponential", "topk" };

    /// <summary>
    /// Reads a curve for <paramref name="side"/> from <paramref name="section"/> (key <c>curve</c> plus the curve's
    /// own keys) and rejects unknown keys. An empty section gives <paramref name="fallback"/>.
    /// </summary>
    public static IWeightCurve Create(ConfigSection section, PairSide side, IWeightCurve fallback)
    {
        if (!section.Keys.Any())
            return fallback;
        string curve = section.Choice("curve", fallback.Name, Names.ToArray());
        IWeightCurve result = curve switch
        {
            "constant" => new ConstantWeight { Value = section.Double("value", 1, min: 0) },
            "step" => new StepWeight { Threshold = section.Double("threshold", 0.5, -1, 1), Value = section.Double("value", 1, min: 0) },
            "linear" => new LinearWeight { Threshold = section.Double("threshold", 0.5, -1, 1), Slope = section.Double("slope", 1, min: 0) },
            "exponential" => new ExponentialWeight
            {
                Scale = section.Double("scale", side == PairSide.Negative ? 40 : 2, min: 0),
                Threshold = section.Double("threshold", 0.5, -1, 1),
                Normalize = section.Bool("normalize", true),
            },
            "topk" => new TopKWeight { K = section.Int("k", 10, min: 1) },
            _ => throw section.Error("curve", $"unknown curve '{curve}'"),
        };
        section.EnsureAllUsed();
        return result;
    }
}
