using Xbm.Data.Images;

namespace Xbm.Tests.Data.Images;

public class PrefetcherTests
{
    private sealed class Item(long index) : IDisposable
    {
        public long Index { get; } = index;
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void ItemsComeInOrderAndEndAfterTheCount()
    {
        using var prefetcher = new Prefetcher<long>((i, _) => i * i, count: 5, capacity: 2, start: 3);
        Assert.Equal([9L, 16, 25, 36, 49], Enumerable.Range(0, 5).Select(_ => prefetcher.Next()));
        Assert.Throws<InvalidOperationException>(() => prefetcher.Next());
    }

    [Fact]
    public void ProducerStaysWithinTheCapacity()
    {
        int produced = 0;
        using var prefetcher = new Prefetcher<int>((i, _) => Interlocked.Increment(ref produced), capacity: 3);
        SpinWait.SpinUntil(() => Volatile.Read(ref produced) >= 4, TimeSpan.FromSeconds(5));
        Thread.Sleep(100);
        Assert.InRange(Volatile.Read(ref produced), 3, 4); // 3 queued + at most 1 waiting to be queued
        Assert.Equal(1, prefetcher.Next());
        SpinWait.SpinUntil(() => Volatile.Read(ref produced) >= 5, TimeSpan.FromSeconds(5));
        Assert.InRange(Volatile.Read(ref produced), 4, 5);
    }

    [Fact]
    public void ProducerErrorIsRethrownAtItsIndex()
    {
        using var prefetcher = new Prefetcher<long>((i, _) => i == 2 ? throw new InvalidDataException("bad batch 2") : i, count: 10);
        Assert.Equal(0, prefetcher.Next());
        Assert.Equal(1, prefetcher.Next());
        var e = Assert.Throws<InvalidDataException>(() => prefetcher.Next());
        Assert.Equal("bad batch 2", e.Message);
    }

    [Fact]
    public void DisposeDisposesItemsNobodyTook()
    {
        var made = new System.Collections.Concurrent.ConcurrentBag<Item>();
        var prefetcher = new Prefetcher<Item>((i, _) => { var item = new Item(i); made.Add(item); return item; }, capacity: 2);
        var first = prefetcher.Next();
        SpinWait.SpinUntil(() => made.Count >= 3, TimeSpan.FromSeconds(5));
        prefetcher.Dispose();
        Assert.False(first.Disposed);
        Assert.All(made.Where(m => m != first), m => Assert.True(m.Disposed));
        Assert.Throws<ObjectDisposedException>(() => prefetcher.Next());
    }
}
