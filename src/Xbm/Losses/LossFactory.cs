using Xbm.Configuration;
using Xbm.Miners;
using Xbm.Reducers;

namespace Xbm.Losses;

/// <summary>
/// Creates pair losses from config sections, e.g. <c>loss: {name: multi_similarity, beta: 50}</c> with an
/// optional <c>miner: {name: pair_margin}</c>. Each loss reads its own keys; unknown keys are errors naming the
/// key and the file.
/// </summary>
public static class LossFactory
{
    /// <summary>The loss names.</summary>
    public static IReadOnlyList<string> Names { get; } = new[]
    {
        "contrastive", "multi_similarity", "triplet", "lifted_structure", "npair", "infonce", "weighted",
    };

    /// <summary>
    /// Creates the loss named by <paramref name="loss"/>'s <c>name</c> (default contrastive), wrapped in a
    /// <see cref="MinedPairLoss"/> when <paramref name="miner"/> names a miner or the loss brings its own mining
    /// (<c>multi_similarity</c> with <c>mining: true</c>, the default: a <see cref="MultiSimilarityMiner"/> with the
    /// loss section's <c>epsilon</c>, after the configured miner when there is one).
    /// </summary>
    public static IPairLoss Create(ConfigSection loss, ConfigSection? miner = null)
    {
        var (result, ownMiner) = CreateLoss(loss);
        IPairMiner? pairMiner = miner is null ? null : MinerFactory.Create(miner);
        IPairMiner? combined = (pairMiner, ownMiner) switch
        {
            (null, null) => null,
            ({ } configured, null) => configured,
            (null, { } own) => own,
            ({ } configured, { } own) => new ChainedMiner(configured, own),
        };
        return combined is null ? result : new MinedPairLoss(combined, result);
    }

    private static (PairLoss Loss, IPairMiner? Miner) CreateLoss(ConfigSection section)
    {
        string name = section.Choice("name", "contrastive", Names.ToArray());
        IPairMiner? miner = null;
        PairLoss loss = name switch
        {
            "contrastive" => new ContrastiveLoss(new ContrastiveLossOptions
            {
                Margin = section.Double("margin", 0.5, -1, 1),
                PositiveMargin = section.OptionalDouble("positive_margin", -1, 1),
                Reduction = Reduction(section, "sum_per_query"),
            }),
            "multi_similarity" => MultiSimilarity(section, out miner),
            "triplet" => new TripletMarginLoss(new TripletMarginLossOptions
            {
                Margin = section.Double("margin", 0.1, min: 0),
                Strategy = section.Choice("strategy", "batch_hard", "batch_hard", "semi_hard", "all") switch
                {
                    "semi_hard" => TripletStrategy.SemiHard,
                    "all" => TripletStrategy.All,
                    _ => TripletStrategy.BatchHard,
                },
                Reduction = Reduction(section, "mean"),
            }),
            "lifted_structure" => new LiftedStructureLoss(new LiftedStructureLossOptions
            {
                Margin = section.Double("margin", 1),
                Reduction = Reduction(section, "sum_per_query"),
            }),
            "npair" or "infonce" => new NPairLoss(new NPairLossOptions
            {
                Temperature = section.Double("temperature", 0.1, min: 1e-6),
                Denominator = section.Choice("denominator", name == "infonce" ? "all" : "negatives", "negatives", "all") == "all"
                    ? NPairDenominator.All
                    : NPairDenominator.Negatives,
                Reduction = Reduction(section, "sum_per_query"),
            }, name),
            "weighted" => new DirectWeightLoss(new DirectWeightLossOptions
            {
                Positive = WeightCurves.Create(section.Section("positive", "curve"), PairSide.Positive, new ConstantWeight()),
                Negative = WeightCurves.Create(section.Section("negative", "curve"), PairSide.Negative, new StepWeight()),
                Reduction = Reduction(section, "sum_per_query"),
            }),
            _ => throw section.Error("name", $"unknown loss '{name}'"),
        };
        section.EnsureAllUsed();
        return (loss, miner);
    }

    // The loss, and its mining as a miner (the MS paper's rule, slack epsilon) unless mining is false.
    private static MultiSimilarityLoss MultiSimilarity(ConfigSection section, out IPairMiner? miner)
    {
        var loss = new MultiSimilarityLoss(new MultiSimilarityLossOptions
        {
            Alpha = section.Double("alpha", 2, min: double.Epsilon),
            Beta = section.Double("beta", 40, min: double.Epsilon),
            Lambda = section.Double("lambda", 0.5, -1, 1),
            Reduction = Reduction(section, "sum_per_query"),
        });
        double epsilon = section.Double("epsilon", 0.1, min: 0);
        miner = section.Bool("mining", true) ? new MultiSimilarityMiner(epsilon) : null;
        return loss;
    }

    private static string Reduction(ConfigSection section, string fallback) =>
        section.Choice("reduction", fallback, ReducerFactory.Names.ToArray());
}
