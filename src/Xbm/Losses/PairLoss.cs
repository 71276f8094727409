using TorchSharp;
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
public abstract class PairLoss : IPairLoss
{
    /// <summary>Creates the loss with the reducer called <paramref name="reduction"/>.</summary>
    protected PairLoss(string reduction) => Reducer = Reducers.Reducer.Create(reduction);

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>How loss elements become the scalar loss.</summary>
    public IReducer Reducer { get; }

    private readonly PairWorkspace _workspace = new();

    /// <inheritdoc />
    public PairLossOutput Compute(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ignore = null)
    {
        CheckInputs(queries, queryLabels, keys, keyLabels);
        using var scope = NewDisposeScope();
        PairLossOutput output;
        if (TryComputeRows(queries, queryLabels, keys, keyLabels, ignore, null) is { } rows)
        {
            output = rows;
        }
        else
        {
            var similarities = Similarities(queries, keys);
            using var masks = PairMasks.Create(queryLabels, keyLabels, ignore);
            output = Compute(queries, keys, similarities, masks, masks);
        }
        output.Loss.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>
    /// Evaluate row by row on the host (<see cref="PairRows"/>) when queries and keys are float32 CPU tensors and the
    /// loss has a row form (default true). False always uses the tensor form, which runs on any device; both give
    /// the same values, gradients and statistics.
    /// </summary>
    public bool HostRows { get; set; } = true;

    /// <summary>True when this loss, with its options, has a row form (<see cref="EvaluateRow"/>).</summary>
    internal virtual bool HasRowForm => false;

    /// <summary>
    /// The row form of <see cref="Evaluate"/>: from one query's similarities and pairs, its summed loss and counts,
    /// with ∂Sum/∂S written into <see cref="PairRow.Gradient"/>. Called concurrently for different rows.
    /// </summary>
    internal virtual RowTerms EvaluateRow(ref PairRow row) => throw new NotSupportedException($"the {Name} loss has no row form");

    private bool UsesHostRows(Tensor queries, Tensor keys) => HostRows && HasRowForm
        && queries.device_type == DeviceType.CPU && keys.device_type == DeviceType.CPU
        && queries.dtype == ScalarType.Float32 && keys.dtype == ScalarType.Float32;

    /// <summary>
    /// The host row evaluation, restricted to the pairs <paramref name="miner"/> selects when it is given; null when
    /// the inputs or the loss do not allow it (see <see cref="HostRows"/>).
    /// </summary>
    internal PairLossOutput? TryComputeRows(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ignore, IRowMiner? miner)
    {
        if (!UsesHostRows(queries, keys) || PairRows.TryCreate(queryLabels, keyLabels, ignore) is not { } rows)
            return null;
        return ComputeRows(queries, keys, rows, miner);
    }

    // S into the workspace, the rows on the host, then the same reduction and graph attachment as the tensor form.
    private PairLossOutput ComputeRows(Tensor queries, Tensor keys, PairRows rows, IRowMiner? miner)
    {
        long b = queries.shape[0], m = keys.shape[0];
        // Keys with gradient (the batch as its own keys) make autograd keep the gradient matrix for the backward
        // pass, so it must not be overwritten by the next evaluation: fresh buffers then.
        bool reuse = !keys.requires_grad;
        lock (_workspace)
        {
            var (similarities, gradient) = reuse ? _workspace.Rent(b, m) : (empty(b, m, dtype: ScalarType.Float32), empty(b, m, dtype: ScalarType.Float32));
            using (no_grad())
                similarities.addmm_(queries, keys.t(), beta: 0, alpha: 1);
            var totals = rows.Run(this, similarities, gradient, get_num_threads(), miner);
            double divisor = Reducer.Divisor(totals.Considered, totals.NonZero, b);
            var loss = SimilarityGradient.Attach(queries, keys, PairMath.Scalar(similarities, totals.Sum),
                totals.NonZero > 0 ? gradient : null, divisor);
            return new PairLossOutput(loss, totals.Statistics());
        }
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
