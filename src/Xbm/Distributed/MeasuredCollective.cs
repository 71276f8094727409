using System.Diagnostics;

namespace Xbm.Distributed;

/// <summary>
/// A collective that counts what another one moves: the bytes this rank sends (its buffers' sizes; an all-gather
/// counts its own slice) and the wall time spent inside the operations, waiting for slower ranks included.
/// </summary>
public sealed class MeasuredCollective(ICollective inner) : ICollective
{
    private readonly Stopwatch _clock = new();

    /// <summary>Bytes sent by this rank so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Seconds spent in the operations so far.</summary>
    public double Seconds => _clock.Elapsed.TotalSeconds;

    /// <inheritdoc />
    public int Rank => inner.Rank;

    /// <inheritdoc />
    public int Size => inner.Size;

    /// <inheritdoc />
    public void AllGather(float[] send, float[] receive) => Measure(send.Length * 4L, () => inner.AllGather(send, receive));

    /// <inheritdoc />
    public void AllGather(long[] send, long[] receive) => Measure(send.Length * 8L, () => inner.AllGather(send, receive));

    /// <inheritdoc />
    public void AllReduceSum(float[] buffer) => Measure(buffer.Length * 4L, () => inner.AllReduceSum(buffer));

    /// <inheritdoc />
    public void AllReduceSum(double[] buffer) => Measure(buffer.Length * 8L, () => inner.AllReduceSum(buffer));

    /// <inheritdoc />
    public void Broadcast(float[] buffer, int root) => Measure(buffer.Length * 4L, () => inner.Broadcast(buffer, root));

    /// <inheritdoc />
    public void Barrier() => Measure(0, inner.Barrier);

    /// <inheritdoc />
    public void Abort(int exitCode) => inner.Abort(exitCode);

    /// <summary>Disposes the measured collective.</summary>
    public void Dispose() => inner.Dispose();

    private void Measure(long bytes, Action operation)
    {
        _clock.Start();
        try
        {
            operation();
        }
        finally
        {
            _clock.Stop();
            Bytes += bytes;
        }
    }
}
