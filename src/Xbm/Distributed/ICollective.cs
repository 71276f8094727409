namespace Xbm.Distributed;

/// <summary>
/// The collective operations data-parallel training needs (docs/design.md §10): every rank calls each operation in
/// the same order with buffers of the same length. The trainer only sees this interface, never the transport.
/// </summary>
public interface ICollective : IDisposable
{
    /// <summary>This process's rank, 0 to <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of ranks.</summary>
    int Size { get; }

    /// <summary>Concatenates every rank's <paramref name="send"/> (same length on all ranks) in rank order into <paramref name="receive"/>.</summary>
    void AllGather(float[] send, float[] receive);

    /// <summary>Concatenates every rank's <paramref name="send"/> (same length on all ranks) in rank order into <paramref name="receive"/>.</summary>
    void AllGather(long[] send, long[] receive);

    /// <summary>Replaces <paramref name="buffer"/> by the element-wise sum over the ranks.</summary>
    void AllReduceSum(float[] buffer);

    /// <summary>Replaces <paramref name="buffer"/> by the element-wise sum over the ranks.</summary>
    void AllReduceSum(double[] buffer);

    /// <summary>Replaces <paramref name="buffer"/> on every rank by rank <paramref name="root"/>'s.</summary>
    void Broadcast(float[] buffer, int root);

    /// <summary>Waits until every rank has called it.</summary>
    void Barrier();

    /// <summary>Ends the whole job with <paramref name="exitCode"/> (every rank, not only this one).</summary>
    void Abort(int exitCode);
}
