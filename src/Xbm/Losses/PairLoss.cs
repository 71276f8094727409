using TorchSharp;
using Xbm.Runtime;
using Xbm.Miners;
using Xbm.Reducers;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// Base of the pair losses in this library. It computes S = Q·Kᵀ once without gradient, hands S and the
/// valid-pair masks to <see cref="Evaluate"/>, which returns the summed loss elements and the closed-form
/// gradient ∂Sum/∂S (all B×M operations on masks: no per-query loops, no gathers of embeddings), divides by
/// the reducer's divisor and attaches the result to the graph with <see cref="SimilarityGradient"/>.
/// A memory-loss step therefore costs two B×d×M products (docs/design.md §7) plus a few passes over B×M.
/// </summary>
public abstract partial class PairLoss : IPairLoss
{
    /// <summary>Creates the loss with the reducer called <paramref name="reduction"/>.</summary>
    protected PairLoss(string reduction) => _reducer = ReducerFactory.Create(reduction);

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>
    /// How loss elements become the scalar loss. Replaceable: data-parallel training divides by the whole batch's
    /// counts (<see cref="Distributed.GlobalCountReducer"/>).
    /// </summary>
    public IReducer Reducer
    {
        get => _reducer;
        set => _reducer = value ?? throw new ArgumentNullException(nameof(value));
    }

    private IReducer _reducer;

    /// <inheritdoc />
    public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys = null)
    {
        CheckInputs(queries, queryLabels, keys, keyLabels);
        if (keys.shape[0] == 0)
        {
            PairMasks.CheckOwnKeys(ownKeys, queries.shape[0], 0);
            return Zero(queries);
        }
        using var scope = NewDisposeScope();
        PairLossOutput output;
        if (TryComputeRows(queries, queryLabels, keys, keyLabels, ownKeys, null) is { } rows)
        {
            output = rows;
        }
        else
        {
            var similarities = Similarities(queries, keys);
            using var masks = PairMasks.Create(queryLabels, keyLabels, ownKeys);
            output = Compute(queries, keys, similarities, masks, masks);
        }
        output.Loss.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>
    /// Computes the loss from parts already built: the detached similarities, the pairs the loss may use
    /// (<paramref name="masks"/>, e.g. a miner's selection) and the valid pairs the statistics describe
    /// (<paramref name="validPairs"/>).
    /// </summary>
    public PairLossOutput Compute(Tensor queries, Tensor keys, Tensor similarities, PairMasks masks, PairMasks validPairs)
    {
        PairTerms terms;
        using (no_grad())
            terms = Evaluate(similarities, masks);
        double divisor = Reducer.Divisor(terms.Considered, terms.NonZero, queries.shape[0]);
        var statistics = PairStatistics.From(similarities, validPairs, terms.ActivePositives, terms.ActiveNegatives);
        var loss = terms.Linear
            ? SimilarityGradient.AttachLinear(queries, keys, similarities, terms.Sum, terms.Gradient, divisor)
            : SimilarityGradient.Attach(queries, keys, terms.Sum, terms.Gradient, terms.Sparse, divisor, terms.RowScale);
        return new PairLossOutput(loss, statistics);
    }

    /// <summary>
    /// A zero loss attached to the queries' graph, with no pairs: the loss against no keys at all (an empty memory),
    /// or a loss that is switched off.
    /// </summary>
    internal static PairLossOutput Zero(Tensor queries)
    {
        using var noPairs = queries.sum();
        return new PairLossOutput(noPairs.mul(Scalars.Zero), PairStatistics.Empty);
    }

    /// <summary>The B×M cosine similarities Q·Kᵀ, without gradient.</summary>
    public static Tensor Similarities(Tensor queries, Tensor keys)
    {
        using var noGrad = no_grad();
        return queries.matmul(keys.t());
    }

    /// <summary>
    /// Computes, from the detached similarities and the usable pairs, the sum of the loss elements and its
    /// gradient with respect to the similarities. Called without gradient tracking.
    /// </summary>
    protected abstract PairTerms Evaluate(Tensor similarities, PairMasks masks);

    /// <summary>Throws when the shapes of queries, keys and labels disagree.</summary>
    public static void CheckInputs(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels)
    {
        if (queries.dim() != 2 || keys.dim() != 2 || queries.shape[1] != keys.shape[1])
            throw new ArgumentException($"queries and keys must be B×d and M×d with the same d, got [{string.Join(", ", queries.shape)}] and [{string.Join(", ", keys.shape)}]");
        if (queryLabels.dim() != 1 || queryLabels.shape[0] != queries.shape[0])
            throw new ArgumentException($"expected {queries.shape[0]} query labels, got shape [{string.Join(", ", queryLabels.shape)}]", nameof(queryLabels));
        if (keyLabels.dim() != 1 || keyLabels.shape[0] != keys.shape[0])
            throw new ArgumentException($"expected {keys.shape[0]} key labels, got shape [{string.Join(", ", keyLabels.shape)}]", nameof(keyLabels));
    }
}
