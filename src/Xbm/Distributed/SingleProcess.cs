namespace Xbm.Distributed;

/// <summary>The collective of one process: rank 0 of 1; gathers and reductions copy or leave the buffers.</summary>
public sealed class SingleProcess : ICollective
{
    /// <summary>The shared instance (it holds nothing).</summary>
    public static SingleProcess Instance { get; } = new();

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public void AllGather(float[] send, float[] receive) => Copy(send, receive);

    /// <inheritdoc />
    public void AllGather(long[] send, long[] receive) => Copy(send, receive);

    /// <inheritdoc />
    public void AllReduceSum(float[] buffer) { }

    /// <inheritdoc />
    public void AllReduceSum(double[] buffer) { }

    /// <inheritdoc />
    public void Broadcast(float[] buffer, int root) => ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);

    /// <inheritdoc />
    public void Barrier() { }

    /// <inheritdoc />
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <inheritdoc />
    public void Dispose() { }

    private static void Copy<T>(T[] send, T[] receive)
    {
        if (send.Length != receive.Length)
            throw new ArgumentException($"one rank gathers {send.Length} values into {receive.Length}", nameof(receive));
        send.CopyTo(receive, 0);
    }
}
