namespace Xbm.Training;

/// <summary>
/// One drift measurement (docs/design.md §4): D(x, t, Δt) = ‖f(x; θ_t) − f(x; θ_{t−Δt})‖², averaged over the
/// probe set, with L2-normalised embeddings computed in eval mode.
/// </summary>
/// <param name="Iteration">t, the iteration whose weights were compared.</param>
/// <param name="Delta">Δt, how many iterations earlier the other weights were.</param>
/// <param name="Drift">The mean squared distance (0 to 4 for unit vectors).</param>
public sealed record DriftSample(long Iteration, long Delta, double Drift);
