using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// The valid positive and negative pairs between queries and keys (B×M boolean masks), with counts and
/// per-query counts computed on first use.
/// </summary>
/// <remarks>
/// Built from labels, the masks remember which pairs were left out: each query's own key (the query itself in a
/// batch, its own slot in a memory), given by index. They are cleared by index, and the counts come from label
/// histograms and the few left-out pairs instead of passes over B×M.
/// </remarks>
public sealed class PairMasks : IDisposable
{
    private readonly Tensor? _queryLabels, _keyLabels, _ignoredRows, _ignoredColumns;
    private long? _positiveCount, _negativeCount;
    private Tensor? _negatives, _positivesPerQuery, _negativesPerQuery;

    private PairMasks(Tensor positives, Tensor? negatives, Tensor? queryLabels = null, Tensor? keyLabels = null, Tensor? ignoredRows = null, Tensor? ignoredColumns = null)
    {
        Positives = positives;
        _negatives = negatives;
        _queryLabels = queryLabels;
        _keyLabels = keyLabels;
        _ignoredRows = ignoredRows;
        _ignoredColumns = ignoredColumns;
    }

    /// <summary>Pairs with equal labels, excluding ignored pairs.</summary>
    public Tensor Positives { get; }

    /// <summary>Pairs with different labels, excluding ignored pairs (built on first use).</summary>
    public Tensor Negatives
    {
        get
        {
            if (_negatives is null)
            {
                using var noGrad = no_grad();
                // Built from labels: every pair that is neither positive nor ignored.
                // Owned by the masks: detached from whatever dispose scope is open on first use.
                _negatives = Positives.logical_not().DetachFromDisposeScope();
                if (_ignoredRows is not null)
                    _negatives.index_put_(Scalars.False, _ignoredRows, _ignoredColumns!);
            }
            return _negatives;
        }
    }

    /// <summary>The number of queries B.</summary>
    public long QueryCount => Positives.shape[0];

    /// <summary>The number of keys M.</summary>
    public long KeyCount => Positives.shape[1];

    /// <summary>True when the masks were built from labels (counts come cheaply).</summary>
    internal bool FromLabels => _queryLabels is not null;

    /// <summary>The left-out pairs (each query's own key) as (row, column) indices; null when none.</summary>
    internal (Tensor Rows, Tensor Columns)? IgnoredPairs => _ignoredRows is null ? null : (_ignoredRows, _ignoredColumns!);

    /// <summary>The number of valid positive pairs.</summary>
    public long PositiveCount => _positiveCount ??= FromLabels ? PositivesPerQuery.sum().item<long>() : PairMath.Count(Positives);

    /// <summary>The number of valid negative pairs.</summary>
    public long NegativeCount => _negativeCount ??= FromLabels ? NegativesPerQuery.sum().item<long>() : PairMath.Count(Negatives);

    /// <summary>Valid positives per query (B, int64).</summary>
    public Tensor PositivesPerQuery
    {
        get
        {
            if (_positivesPerQuery is null)
                CountPerQuery();
            return _positivesPerQuery!;
        }
    }

    /// <summary>Valid negatives per query (B, int64).</summary>
    public Tensor NegativesPerQuery
    {
        get
        {
            if (_negativesPerQuery is null)
                CountPerQuery();
            return _negativesPerQuery!;
        }
    }

    /// <summary>
    /// The valid positive and negative pairs of the queries set in <paramref name="queries"/> (B, boolean): the
    /// contributing pairs of a loss over queries whose every pair counts once the query is active.
    /// </summary>
    public (long Positives, long Negatives) PairsOf(Tensor queries)
    {
        using var scope = NewDisposeScope();
        long positives = PositivesPerQuery.masked_select(queries).sum().item<long>();
        long negatives = NegativesPerQuery.masked_select(queries).sum().item<long>();
        return (positives, negatives);
    }

    /// <summary>
    /// Builds the masks from labels, leaving out each query's own key: <paramref name="ownKeys"/> (B, int64) holds its
    /// index among the keys, or -1 for none; null leaves nothing out.
    /// </summary>
    public static PairMasks Create(Tensor queryLabels, Tensor keyLabels, Tensor? ownKeys)
    {
        if (queryLabels.dim() != 1 || keyLabels.dim() != 1)
            throw new ArgumentException($"labels must be 1-D, got query labels [{string.Join(", ", queryLabels.shape)}] and key labels [{string.Join(", ", keyLabels.shape)}]");
        var own = ReadOwnKeys(ownKeys, queryLabels.shape[0], keyLabels.shape[0]);

        using var noGrad = no_grad();
        var same = queryLabels.unsqueeze(1).eq(keyLabels.unsqueeze(0));
        var queries = own is null ? Array.Empty<long>() : Enumerable.Range(0, own.Length).Where(i => own[i] >= 0).Select(i => (long)i).ToArray();
        if (queries.Length == 0)
            return new PairMasks(same, null, queryLabels, keyLabels);
        // At most one pair per query: cleared by index and kept for the negatives and the counts.
        var rows = tensor(queries, dtype: int64, device: same.device);
        var columns = tensor(queries.Select(i => own![i]).ToArray(), dtype: int64, device: same.device);
        same.index_put_(Scalars.False, rows, columns);
        return new PairMasks(same, null, queryLabels, keyLabels, rows, columns);
    }

    /// <summary>
    /// Throws unless <paramref name="ownKeys"/> is null or a <paramref name="b"/>-long int64 tensor of key indices in
    /// [0, <paramref name="m"/>) or -1.
    /// </summary>
    public static void CheckOwnKeys(Tensor? ownKeys, long b, long m) => ReadOwnKeys(ownKeys, b, m);

    /// <summary>The checked own-key indices on the host (null when <paramref name="ownKeys"/> is null).</summary>
    internal static long[]? ReadOwnKeys(Tensor? ownKeys, long b, long m)
    {
        if (ownKeys is null)
            return null;
        if (ownKeys.dim() != 1 || ownKeys.shape[0] != b)
            throw new ArgumentException($"ownKeys must hold one key index per query, shape [{b}], got [{string.Join(", ", ownKeys.shape)}]", nameof(ownKeys));
        if (ownKeys.dtype != ScalarType.Int64)
            throw new ArgumentException($"ownKeys must be int64, got {ownKeys.dtype}", nameof(ownKeys));
        using var scope = NewDisposeScope();
        var values = ownKeys.detach().cpu().contiguous().data<long>().ToArray();
        foreach (long k in values)
            if (k < -1 || k >= m)
                throw new ArgumentException($"ownKeys must hold key indices in [0, {m}) or -1 for none, got {k}", nameof(ownKeys));
        return values;
    }

    /// <summary>
    /// Wraps existing masks (for example a miner's selection intersected with the valid pairs). The masks
    /// are owned by the result and disposed with it.
    /// </summary>
    public static PairMasks FromMasks(Tensor positives, Tensor negatives)
    {
        if (!positives.shape.SequenceEqual(negatives.shape) || positives.dim() != 2)
            throw new ArgumentException($"positive and negative masks must both be B×M, got [{string.Join(", ", positives.shape)}] and [{string.Join(", ", negatives.shape)}]");
        return new PairMasks(positives, negatives);
    }

    /// <summary>
    /// The masks restricted to the pairs selected in <paramref name="selected"/> (B×M boolean), with these masks as
    /// their <see cref="Candidates"/>.
    /// </summary>
    public PairMasks Restrict(Tensor selected)
    {
        using var noGrad = no_grad();
        var positives = Positives.logical_and(selected);
        if (!FromLabels || _negatives is not null)
            return new(positives, Negatives.logical_and(selected)) { Candidates = this };
        // Without building the negatives mask: the selected pairs that are not positive, minus the left-out pairs.
        var negatives = selected.logical_xor(positives);
        if (_ignoredRows is not null)
            negatives.index_put_(Scalars.False, _ignoredRows, _ignoredColumns!);
        return new(positives, negatives) { Candidates = this };
    }

    /// <summary>
    /// The masks a miner's selection restricted these from (the pairs it chose among; not owned); null when these
    /// masks were not restricted.
    /// </summary>
    public PairMasks? Candidates { get; private init; }

    /// <summary>The number of queries with at least one valid positive and one valid negative.</summary>
    internal long QueriesWithBothSides()
    {
        using var scope = NewDisposeScope();
        return PositivesPerQuery.gt(Scalars.Zero).logical_and_(NegativesPerQuery.gt(Scalars.Zero)).count_nonzero().item<long>();
    }

    /// <summary>
    /// The B×M matrix holding <paramref name="positive"/> on the valid positives, <paramref name="negative"/> on the
    /// valid negatives and 0 on ignored pairs; the values are tensors broadcastable to B×M (0-d, B×1 or B×M;
    /// boolean values become 0/1), the result has <paramref name="dtype"/>. One pass over B×M for masks built
    /// from labels.
    /// </summary>
    public Tensor Signed(Tensor positive, Tensor negative, ScalarType dtype)
    {
        using var noGrad = no_grad();
        // where() promotes a boolean negative to the positive's dtype while it writes the result.
        using var positivePart = positive.to(dtype);
        var negativePart = negative;
        if (FromLabels)
        {
            var result = where(Positives, positivePart, negativePart);
            if (_ignoredRows is not null)
                result.index_put_(Scalars.Zero, _ignoredRows, _ignoredColumns!);
            return result;
        }
        using var zero = zeros(Array.Empty<long>(), dtype: dtype, device: Positives.device);
        using var negatives = where(Negatives, negativePart, zero);
        return where(Positives, positivePart, negatives);
    }

    /// <summary>
    /// The similarities of one side's pairs with every other entry set to +∞ for positives and −∞ for negatives,
    /// so that a row minimum (positives) or maximum (negatives) finds the hardest pair, and exp(scale·x) with
    /// scale &lt; 0 (positives) or &gt; 0 (negatives) is exactly 0 outside the side. One pass over B×M.
    /// </summary>
    public Tensor OnSide(Tensor similarities, PairSide side)
    {
        using var noGrad = no_grad();
        if (side == PairSide.Positive)
            return where(Positives, similarities, PairMath.Scalar(similarities, double.PositiveInfinity));
        if (!FromLabels)
            return where(Negatives, similarities, PairMath.Scalar(similarities, double.NegativeInfinity));
        var result = where(Positives, PairMath.Scalar(similarities, double.NegativeInfinity), similarities);
        if (_ignoredRows is not null)
            result.index_put_(Scalars.NegativeInfinity, _ignoredRows, _ignoredColumns!);
        return result;
    }

    /// <summary>
    /// The similarities of all valid pairs with ignored entries set to −∞ (for a softmax over every valid key).
    /// </summary>
    public Tensor Valid(Tensor similarities)
    {
        using var noGrad = no_grad();
        if (!FromLabels)
            return where(Positives.logical_or(Negatives), similarities, PairMath.Scalar(similarities, double.NegativeInfinity));
        var result = similarities.clone();
        if (_ignoredRows is not null)
            result.index_put_(Scalars.NegativeInfinity, _ignoredRows, _ignoredColumns!);
        return result;
    }

    private void CountPerQuery()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor positives, negatives;
        if (FromLabels)
        {
            // Keys per label from a histogram of the key labels, looked up for each query label.
            var (labels, _, counts) = _keyLabels!.unique(sorted: true, return_inverse: false, return_counts: true);
            using var lastSlot = (labels.shape[0] - 1).ToScalar();
            var slot = searchsorted(labels, _queryLabels!).clamp_max_(lastSlot);
            var keyCounts = counts!;
            var same = where(labels.gather(0, slot).eq(_queryLabels!), keyCounts.gather(0, slot), zeros(1, dtype: int64, device: keyCounts.device));
            positives = same.clone();
            using var keyCount = KeyCount.ToScalar();
            negatives = same.neg().add_(keyCount, Scalars.One);
            if (_ignoredRows is not null)
            {
                var ignoredSame = _queryLabels!.index_select(0, _ignoredRows).eq(_keyLabels!.index_select(0, _ignoredColumns!)).to(int64);
                positives.index_add_(0, _ignoredRows, ignoredSame, Scalars.MinusOne);
                negatives.index_add_(0, _ignoredRows, ignoredSame.sub(Scalars.One), Scalars.One);
            }
        }
        else
        {
            positives = Positives.to(float32).sum(1).to(int64);
            negatives = Negatives.to(float32).sum(1).to(int64);
        }
        _positivesPerQuery = positives.DetachFromDisposeScope();
        _negativesPerQuery = negatives.DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Positives.Dispose();
        _negatives?.Dispose();
        _ignoredRows?.Dispose();
        _ignoredColumns?.Dispose();
        _positivesPerQuery?.Dispose();
        _negativesPerQuery?.Dispose();
    }
}
