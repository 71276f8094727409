using Xbm.Reducers;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>Options of <see cref="ContrastiveLoss"/>.</summary>
public sealed record ContrastiveLossOptions
{
    /// <summary>Negatives with similarity above this margin contribute S (m = 0.5 in the XBM paper).</summary>
    public double Margin { get; init; } = 0.5;

    /// <summary>When set, only positives with similarity below it contribute 1 − S; null = every positive.</summary>
    public double? PositiveMargin { get; init; }

    /// <summary>How per-pair values become the loss; the paper sums over pairs and divides by B.</summary>
    public string Reduction { get; init; } = "sum_per_query";
}

/// <summary>
/// The XBM paper's contrastive loss on cosine similarities:
/// L = (1/B) Σ_i [ Σ_{k∈P_i} (1 − S_ik) + Σ_{k∈N_i, S_ik &gt; m} S_ik ] with the default reducer.
/// Vectorised over the B×M similarity matrix: one product forward, one backward.
/// </summary>
public sealed class ContrastiveLoss : IPairLoss
{
    private readonly ContrastiveLossOptions _options;
    private readonly IReducer _reducer;

    /// <summary>Creates the loss.</summary>
    public ContrastiveLoss(ContrastiveLossOptions? options = null)
    {
        _options = options ?? new ContrastiveLossOptions();
        _reducer = Reducer.Create(_options.Reduction);
    }

    /// <inheritdoc />
    public string Name => "contrastive";

    /// <summary>The options in force.</summary>
    public ContrastiveLossOptions Options => _options;

    /// <inheritdoc />
    public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ignore = null)
    {
        var similarities = queries.matmul(keys.t());
        using var masks = PairMasks.Create(queryLabels, keyLabels, ignore);
        Tensor activePositives = _options.PositiveMargin is double pm
            ? masks.Positives.logical_and(similarities.detach().lt(pm))
            : masks.Positives;
        var activeNegatives = masks.Negatives.logical_and(similarities.detach().gt(_options.Margin));

        // Positive pairs pull (1 − S), hard negatives push S; everything else is exactly zero.
        var perPair = where(activePositives, 1 - similarities, zeros_like(similarities))
                    + where(activeNegatives, similarities, zeros_like(similarities));
        var loss = _reducer.Reduce(perPair, masks.Positives.logical_or(masks.Negatives), queries.shape[0]);
        return new PairLossOutput(loss, PairStatistics.From(similarities, masks.Positives, masks.Negatives, activePositives, activeNegatives));
    }
}
