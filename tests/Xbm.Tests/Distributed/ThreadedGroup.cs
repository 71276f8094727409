using Xbm.Distributed;

namespace Xbm.Tests.Distributed;

/// <summary>
/// Ranks as threads of one process, for tests of collective arithmetic without mpirun: each member's operation waits
/// until every member has called it, then every member reads every member's contribution.
/// </summary>
internal sealed class ThreadedGroup : IDisposable
{
    private readonly Barrier _barrier;
    private readonly Array?[] _slots;

    public ThreadedGroup(int size)
    {
        _barrier = new Barrier(size);
        _slots = new Array?[size];
        Members = Enumerable.Range(0, size).Select(rank => new Member(this, rank)).ToArray();
    }

    /// <summary>One collective per rank.</summary>
    public IReadOnlyList<Member> Members { get; }

    /// <summary>Runs <paramref name="body"/> as every rank, on its own thread, and returns the ranks' results in rank order.</summary>
    public T[] Run<T>(Func<ICollective, T> body)
    {
        var results = new T[Members.Count];
        var failures = new Exception?[Members.Count];
        var threads = Members.Select(member => new Thread(() =>
        {
            try
            {
                results[member.Rank] = body(member);
            }
            catch (Exception e)
            {
                failures[member.Rank] = e;
                _barrier.Dispose(); // the other ranks stop waiting
            }
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "a rank did not finish");
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
            throw new InvalidOperationException("a rank failed", failure);
        return results;
    }

    public void Dispose() => _barrier.Dispose();

    private T[][] Exchange<T>(int rank, T[] send)
    {
        _slots[rank] = (T[])send.Clone();
        _barrier.SignalAndWait();
        var all = _slots.Select(slot => (T[])slot!).ToArray();
        _barrier.SignalAndWait(); // nobody overwrites a slot before everyone has read it
        return all;
    }

    /// <summary>One rank of the group.</summary>
    internal sealed class Member(ThreadedGroup group, int rank) : ICollective
    {
        public int Rank => rank;
        public int Size => group.Members.Count;

        public void AllGather(float[] send, float[] receive) => group.Exchange(rank, send).SelectMany(part => part).ToArray().CopyTo(receive, 0);

        public void AllGather(long[] send, long[] receive) => group.Exchange(rank, send).SelectMany(part => part).ToArray().CopyTo(receive, 0);

        public void AllReduceSum(float[] buffer)
        {
            var all = group.Exchange(rank, buffer);
            for (int i = 0; i < buffer.Length; i++)
                buffer[i] = all.Sum(part => part[i]);
        }

        public void AllReduceSum(double[] buffer)
        {
            var all = group.Exchange(rank, buffer);
            for (int i = 0; i < buffer.Length; i++)
                buffer[i] = all.Sum(part => part[i]);
        }

        public void Broadcast(float[] buffer, int root) => group.Exchange(rank, buffer)[root].CopyTo(buffer, 0);

        public void Barrier() => group.Exchange(rank, Array.Empty<float>());

        public void Abort(int exitCode) => throw new InvalidOperationException($"rank {rank} aborted with {exitCode}");

        public void Dispose() { }
    }
}
