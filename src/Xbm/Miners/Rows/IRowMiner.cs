using Xbm.Losses;

namespace Xbm.Miners;

/// <summary>
/// The row form of a miner, for host evaluation (<see cref="RowEvaluator"/>): it selects among one query's valid pairs
/// without a B×M mask.
/// </summary>
internal interface IRowMiner
{
    /// <summary>
    /// Writes into <paramref name="selected"/> the row's key labels with every valid pair it does not select set to
    /// <see cref="QueryRow.Ignored"/>. <see cref="QueryRow.Summary"/> describes the row's valid pairs. Called
    /// concurrently for different rows.
    /// </summary>
    /// <returns>True when it also set <see cref="QueryRow.Summary"/> (and its listing of positives) to the summary of the selected pairs.</returns>
    bool SelectRow(ref QueryRow row, Span<int> selected);

    /// <summary>
    /// For a threshold miner: marks the row <see cref="QueryRow.Bounded"/> with its bounds and sets the summary's
    /// hardest pairs (<see cref="RowSummary.MinPositive"/>, <see cref="RowSummary.MaxNegative"/>) to the selection's,
    /// from the row's summary, without a pass over the row; the summary's other fields are then unknown. False (and
    /// the row unchanged) when the miner has no such form.
    /// </summary>
    bool TrySelectByBounds(ref QueryRow row);
}
