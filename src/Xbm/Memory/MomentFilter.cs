using static TorchSharp.torch;

namespace Xbm.Memory;

/// <summary>How a <see cref="MomentFilter"/> turns batch moments into the moments memory rows are matched to.</summary>
public enum MomentFilterKind
{
    /// <summary>The current batch's own moments (XBN).</summary>
    Batch,

    /// <summary>Kalman-filtered moments with one scalar gain (adaptive XBN).</summary>
    Kalman,

    /// <summary>A constant gain 1 − m: an exponential moving average (the EMA variant).</summary>
    ConstantGain,
}

/// <summary>
/// The target moments of cross-batch normalisation (docs/design.md §3): per-dimension mean μ̂ and standard
/// deviation σ̂ that the memory rows are rewritten to. XBN uses the batch's moments as they are; adaptive XBN
/// filters them with a scalar Kalman gain (p ← p + q; K ← p / (p + r/B); p ← (1 − K)p; μ̂ ← μ̂ + K(E[B] − μ̂);
/// σ̂ ← σ̂ + K(σ[B] − σ̂)), the gain being recomputed every <see cref="RefreshInterval"/> updates and held
/// fixed in between; the EMA variant uses a constant gain. μ̂ and σ̂ start at the first batch's moments.
/// </summary>
/// <remarks>
/// The estimates are updated with <c>lerp</c>, which returns the batch moments bit for bit when K = 1, so
/// r = 0 reproduces XBN exactly. When r = 0 and p = 0 (q = 0) the gain p/(p + r/B) is 0/0: we take K = 1
/// (an exact measurement). The refresh counter counts the filter's own updates (batches after the first),
/// not training iterations, so it does not depend on when the memory starts.
/// </remarks>
public sealed class MomentFilter : IDisposable
{
    private Tensor? _mean;
    private Tensor? _std;

    private MomentFilter(MomentFilterKind kind, double p0, double q, double r, long refreshInterval, double gain)
    {
        Kind = kind;
        P0 = p0;
        P = p0;
        Q = q;
        R = r;
        RefreshInterval = refreshInterval;
        Gain = gain;
        ConstantGainValue = gain;
    }

    /// <summary>XBN: the targets are the current batch's moments.</summary>
    public static MomentFilter Batch() => new(MomentFilterKind.Batch, 0, 0, 0, 1, 1);

    /// <summary>Adaptive XBN with initial error variance <paramref name="p0"/>, process noise <paramref name="q"/>,
    /// measurement noise <paramref name="r"/> and a gain refreshed every <paramref name="refreshInterval"/> updates.</summary>
    public static MomentFilter Kalman(double p0 = 1, double q = 1, double r = 0.01, long refreshInterval = 100)
    {
        if (!(p0 >= 0) || !(q >= 0) || !(r >= 0) || double.IsInfinity(p0 + q + r))
            throw new ArgumentOutOfRangeException(nameof(p0), $"Kalman filter parameters must be finite and non-negative (p0={p0}, q={q}, r={r})");
        if (refreshInterval < 1)
            throw new ArgumentOutOfRangeException(nameof(refreshInterval), refreshInterval, "the gain refresh interval must be at least 1");
        return new MomentFilter(MomentFilterKind.Kalman, p0, q, r, refreshInterval, 0);
    }

    /// <summary>The EMA variant: μ̂ ← μ̂ + <paramref name="gain"/>(E[B] − μ̂), i.e. gain = 1 − m.</summary>
    public static MomentFilter ConstantGain(double gain)
    {
        if (!(gain >= 0 && gain <= 1))
            throw new ArgumentOutOfRangeException(nameof(gain), gain, "the gain must be in [0, 1]");
        return new MomentFilter(MomentFilterKind.ConstantGain, 0, 0, 0, 1, gain);
    }

    /// <summary>Which rule produces the targets.</summary>
    public MomentFilterKind Kind { get; }

    /// <summary>Initial error variance p₀ (Kalman).</summary>
    public double P0 { get; }

    /// <summary>Process noise q (Kalman).</summary>
    public double Q { get; }

    /// <summary>Measurement noise r; the batch moments' noise is taken as r / B (Kalman).</summary>
    public double R { get; }

    /// <summary>Updates between two gain computations (Kalman).</summary>
    public long RefreshInterval { get; }

    /// <summary>The error variance p after the latest gain computation (Kalman).</summary>
    public double P { get; private set; }

    /// <summary>The gain K used by the latest update (1 for XBN; 0 before the first Kalman refresh).</summary>
    public double Gain { get; private set; }

    /// <summary>Filter updates so far (batches after the one that initialised the estimates).</summary>
    public long Updates { get; private set; }

    /// <summary>True once the estimates hold the first batch's moments.</summary>
    public bool Initialised => _mean is not null;

    /// <summary>The current mean estimate μ̂ (d; owned by the filter), null before the first batch or for XBN.</summary>
    public Tensor? Mean => _mean;

    /// <summary>The current standard-deviation estimate σ̂ (d; owned by the filter), null before the first batch or for XBN.</summary>
    public Tensor? Std => _std;

    private double ConstantGainValue { get; }

    /// <summary>
    /// The closed-form limit of the Kalman gain for a fixed batch size: the fixed point p* of
    /// p ← (1 − K)(p + q) is p* = (−q + √(q² + 4q·r/B)) / 2, and K* = (p* + q) / (p* + q + r/B).
    /// </summary>
    public static double SteadyStateGain(double q, double r, long batchSize)
    {
        double s = r / batchSize;
        if (q + s == 0)
            return 1;
        double p = (-q + Math.Sqrt(q * q + 4 * q * s)) / 2;
        return (p + q) == 0 ? 0 : (p + q) / (p + q + s);
    }

    /// <summary>
    /// Feeds the moments of a batch of <paramref name="batchSize"/> rows and returns the target moments. For
    /// XBN these are the inputs; otherwise the filter's own tensors (do not dispose, valid until the next update).
    /// </summary>
    public (Tensor Mean, Tensor Std) Update(Tensor batchMean, Tensor batchStd, long batchSize)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "a batch has at least one row");
        if (Kind == MomentFilterKind.Batch)
            return (batchMean, batchStd);

        using var noGrad = no_grad();
        if (_mean is null || _std is null)
        {
            _mean = batchMean.detach().clone().DetachFromDisposeScope();
            _std = batchStd.detach().clone().DetachFromDisposeScope();
            return (_mean, _std);
        }

        Updates++;
        if (Kind == MomentFilterKind.Kalman && (Updates - 1) % RefreshInterval == 0)
        {
            double p = P + Q;
            double noise = R / batchSize;
            double gain = p + noise == 0 ? 1 : p / (p + noise);
            P = (1 - gain) * p;
            Gain = gain;
        }
        else if (Kind == MomentFilterKind.ConstantGain)
        {
            Gain = ConstantGainValue;
        }

        using var scope = NewDisposeScope();
        var weight = tensor(Gain, dtype: _mean.dtype, device: _mean.device);
        _mean.lerp_(batchMean.to(_mean.dtype, _mean.device), weight);
        _std.lerp_(batchStd.to(_std.dtype, _std.device), weight);
        return (_mean, _std);
    }

    /// <summary>Forgets the estimates and restarts the gain schedule from p₀.</summary>
    public void Reset()
    {
        _mean?.Dispose();
        _std?.Dispose();
        _mean = null;
        _std = null;
        P = P0;
        Gain = Kind == MomentFilterKind.Kalman ? 0 : ConstantGainValue;
        Updates = 0;
    }

    /// <summary>Writes the filter state (p, K, update count, μ̂, σ̂) into <paramref name="state"/> under "filter_*" names.</summary>
    public void Save(MemoryState state)
    {
        state.Scalars["filter_p"] = P;
        state.Scalars["filter_gain"] = Gain;
        state.Scalars["filter_updates"] = Updates;
        state.Scalars["filter_initialised"] = Initialised ? 1 : 0;
        if (_mean is not null && _std is not null)
        {
            state.Tensors["filter_mean"] = _mean.cpu().clone().DetachFromDisposeScope();
            state.Tensors["filter_std"] = _std.cpu().clone().DetachFromDisposeScope();
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote, placing the estimates on <paramref name="device"/>.</summary>
    public void Load(MemoryState state, Device device, ScalarType dtype)
    {
        Reset();
        P = state.Scalar("filter_p");
        Gain = state.Scalar("filter_gain");
        Updates = (long)state.Scalar("filter_updates");
        if (state.Scalar("filter_initialised") != 0)
        {
            using var noGrad = no_grad();
            _mean = state.Tensor("filter_mean").to(dtype, device, copy: true).DetachFromDisposeScope();
            _std = state.Tensor("filter_std").to(dtype, device, copy: true).DetachFromDisposeScope();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _mean?.Dispose();
        _std?.Dispose();
        _mean = null;
        _std = null;
    }
}
