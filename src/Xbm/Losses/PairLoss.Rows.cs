using TorchSharp;
using Xbm.Miners;
using static TorchSharp.torch;

namespace Xbm.Losses;

// The host row form of the pair losses: S into a reused workspace, each query's row evaluated by the loss's row
// kernel (its Name.Rows.cs file) through RowEvaluator, then the same reduction and graph attachment as the tensor form.
public abstract partial class PairLoss
{
    private readonly PairWorkspace _workspace = new();

    /// <summary>
    /// Evaluate row by row on the host (<see cref="RowEvaluator"/>) when queries and keys are float32 CPU tensors and the
    /// loss has a row form (default true). False always uses the tensor form, which runs on any device; both give
    /// the same values, gradients and statistics.
    /// </summary>
    public bool HostRows { get; set; } = true;

    /// <summary>
    /// In the host row form with keys that carry no gradient (a memory), take the gradient product G·K from G's
    /// non-zero entries when at most 1/64 of them are non-zero (default true; <see cref="SparseRowProduct"/>): a hinge
    /// or mined loss whose memory pairs mostly satisfy the margin then costs one B×M×d product instead of two. The
    /// result equals the dense product up to float rounding.
    /// </summary>
    public bool SparseGradientProduct { get; set; } = true;

    /// <summary>The largest share of non-zero gradient entries taken sparse (<see cref="SparseRowProduct.MaxDensity"/>; tests raise it).</summary>
    internal double SparseProductDensity { get; set; } = SparseRowProduct.MaxDensity;

    /// <summary>Whether the last host row evaluation took its gradient product from G's non-zero entries (see <see cref="SparseGradientProduct"/>).</summary>
    public bool LastProductWasSparse { get; private set; }

    /// <summary>True when this loss, with its options, has a row form (<see cref="EvaluateRow"/>).</summary>
    internal virtual bool HasRowForm => false;

    /// <summary>
    /// True when <see cref="EvaluateRow"/> reads, of the row's summary, only its hardest pairs (and
    /// <see cref="QueryRow.Candidates"/>): a threshold miner's selection then costs no pass over the row.
    /// </summary>
    internal virtual bool RowUsesOnlyHardestPairs => false;

    /// <summary>
    /// The row form of <see cref="Evaluate"/>: from one query's similarities and pairs, its summed loss and counts,
    /// with ∂Sum/∂S written into <see cref="QueryRow.Gradient"/>. Called concurrently for different rows.
    /// </summary>
    internal virtual RowTerms EvaluateRow(ref QueryRow row) => throw new NotSupportedException($"the {Name} loss has no row form");

    private bool UsesHostRows(Tensor queries, Tensor keys) => HostRows && HasRowForm
        && queries.device_type == DeviceType.CPU && keys.device_type == DeviceType.CPU
        && queries.dtype == ScalarType.Float32 && keys.dtype == ScalarType.Float32;

    /// <summary>
    /// The host row evaluation, restricted to the pairs <paramref name="miner"/> selects when it is given; null when
    /// the inputs or the loss do not allow it (see <see cref="HostRows"/>).
    /// </summary>
    internal PairLossOutput? TryComputeRows(Tensor queries, Tensor queryLabels, Tensor keys, Tensor keyLabels, Tensor? ownKeys, IRowMiner? miner)
    {
        if (!UsesHostRows(queries, keys) || RowEvaluator.TryCreate(queryLabels, keyLabels, ownKeys) is not { } rows)
            return null;
        using (rows)
            return ComputeRows(queries, keys, rows, miner);
    }

    // S into the workspace, the rows on the host, then the same reduction and graph attachment as the tensor form.
    private PairLossOutput ComputeRows(Tensor queries, Tensor keys, RowEvaluator rows, IRowMiner? miner)
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
            var sum = PairMath.Scalar(similarities, totals.Sum);
            var product = totals.NonZero > 0 && SparseGradientProduct && !keys.requires_grad && queries.requires_grad && is_grad_enabled()
                && totals.GradientNonZero <= SparseRowProduct.Limit(b, m, SparseProductDensity)
                ? SparseRowProduct.Multiply(gradient, keys, totals.RowGradientNonZero, get_num_threads())
                : null;
            LastProductWasSparse = product is not null;
            var loss = product is not null
                ? SimilarityGradient.AttachProduct(queries, sum, product, divisor)
                : SimilarityGradient.Attach(queries, keys, sum, totals.NonZero > 0 ? gradient : null, divisor);
            return new PairLossOutput(loss, totals.Statistics());
        }
    }
}
