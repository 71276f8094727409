using Xbm.Losses;

namespace Xbm.Miners;

/// <summary>
/// The row form of a miner, for host evaluation (<see cref="PairRows"/>): it selects among one query's valid pairs
/// without a B×M mask.
/// </summary>
internal interface IRowMiner
{
    /// <summary>
    /// Writes into <paramref name="selected"/> the row's key labels with every valid pair it does not select set to
    /// <see cref="PairRows.Ignored"/>. <see cref="PairRow.Summary"/> describes the row's valid pairs. Called
    /// concurrently for different rows.
    /// </summary>
    void SelectRow(ref PairRow row, Span<int> selected);
}
