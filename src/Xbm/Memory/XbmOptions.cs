namespace Xbm.Memory;

/// <summary>How the memory is wired into training (docs/design.md §1).</summary>
/// <param name="Enabled">False trains with the batch loss only.</param>
/// <param name="StartIteration">First iteration (1-based) at which the memory is filled and its loss used.</param>
/// <param name="Weight">Weight of the memory loss.</param>
/// <param name="MemoryLossOnly">Total = memory loss only ("XBM" in the XBN paper); default total = batch + weight · memory.</param>
/// <param name="Init">none, or random_train: fill the memory at the start iteration with embeddings of random training images.</param>
/// <param name="StartDrift">Adaptive start: start once the measured drift at <paramref name="StartDriftDelta"/> falls below this (null = off).</param>
/// <param name="StartDriftDelta">The Δt whose drift the adaptive start watches.</param>
public sealed record XbmOptions(bool Enabled = false, long StartIteration = 1, double Weight = 1.0, bool MemoryLossOnly = false,
    string Init = "none", double? StartDrift = null, long StartDriftDelta = 100);
