namespace Xbm.Losses;

/// <summary>
/// One query's row of a host evaluation (<see cref="RowEvaluator"/>): its similarities to every key, the keys' labels
/// with the row's ignored keys marked <see cref="QueryRow.Ignored"/>, the gradient row to fill (zeroed before the
/// loss sees it) and the row's <see cref="RowSummary"/>.
/// </summary>
internal ref struct QueryRow
{
    /// <summary>The label of an ignored key in <see cref="Labels"/> (no real label takes it).</summary>
    public const int Ignored = int.MinValue;

    /// <summary>The query's label: keys with this label are positives.</summary>
    public int QueryLabel;

    /// <summary>S_ik for every key k.</summary>
    public ReadOnlySpan<float> Similarities;

    /// <summary>The keys' labels; <see cref="QueryRow.Ignored"/> for the pairs this row leaves out.</summary>
    public ReadOnlySpan<int> Labels;

    /// <summary>
    /// When set, the row's pairs are only its positives with S below <see cref="PositivesBelow"/> and its negatives
    /// with S above <see cref="NegativesAbove"/>: a threshold miner's selection, applied by <see cref="RowChunks"/>
    /// on the fly (see <see cref="Miners.IRowMiner.TrySelectByBounds"/>).
    /// </summary>
    public bool Bounded;

    /// <summary>With <see cref="Bounded"/>: positives are kept below this similarity.</summary>
    public float PositivesBelow;

    /// <summary>With <see cref="Bounded"/>: negatives are kept above this similarity.</summary>
    public float NegativesAbove;

    /// <summary>∂Sum/∂S_ik, written by the loss (all zero on entry).</summary>
    public Span<float> Gradient;

    /// <summary>Counts, sums and extremes of the row's positives and negatives.</summary>
    public RowSummary Summary;

    /// <summary>
    /// The summary of the pairs a miner chose this row's pairs from (its candidates: the valid pairs, or a first
    /// miner's selection in a <see cref="Miners.ChainedMiner"/>); the same as <see cref="Summary"/> without a miner.
    /// </summary>
    public RowSummary Candidates;

    /// <summary>Reusable buffers of the thread evaluating this row.</summary>
    public RowScratch Scratch;

    /// <summary>The similarities of the row's valid positives, in column order (listed with the summary; the loss may reorder them).</summary>
    public Span<float> PositiveSimilarities;

    /// <summary>The columns of the row's valid positives, matching <see cref="PositiveSimilarities"/>.</summary>
    public Span<int> PositiveColumns;
}
