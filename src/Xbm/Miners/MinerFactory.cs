using Xbm.Configuration;

namespace Xbm.Miners;

/// <summary>Creates miners from a config section such as <c>miner: {name: pair_margin, negative_margin: 0.5}</c>.</summary>
public static class MinerFactory
{
    /// <summary>The miner names.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "pair_margin", "multi_similarity", "hardest_negatives" };

    /// <summary>
    /// Creates the miner named by the section's <c>name</c>, or null when the section is empty or names
    /// <c>none</c>. Unknown keys are errors naming the key and the file.
    /// </summary>
    public static IPairMiner? Create(ConfigSection section)
    {
        if (!section.Keys.Any())
            return null;
        string name = section.Choice("name", "none", Names.Append("none").ToArray());
        IPairMiner? miner = name switch
        {
            "none" => null,
            "pair_margin" => new PairMarginMiner(
                section.Double("positive_margin", 0.8, -1, 1),
                section.Double("negative_margin", 0.5, -1, 1)),
            "multi_similarity" => new MultiSimilarityMiner(section.Double("epsilon", 0.1, min: 0)),
            "hardest_negatives" => new HardestNegativeMiner(section.Int("k", 10, min: 1)),
            _ => throw section.Error("name", $"unknown miner '{name}'"),
        };
        section.EnsureAllUsed();
        return miner;
    }
}
