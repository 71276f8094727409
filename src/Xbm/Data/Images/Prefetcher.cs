using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Xbm.Data.Images;

/// <summary>
/// Produces items 0, 1, 2, ... (e.g. training batches) on a background thread ahead of the consumer, holding at
/// most <c>capacity</c> finished items, so loading overlaps computation. Items come out in index order; an
/// exception of the producer is rethrown by <see cref="Next"/> at the index where it happened. The consumer owns
/// each item it takes; items still queued at <see cref="Dispose"/> are disposed when they are
/// <see cref="IDisposable"/>. (TorchSharp dispose scopes are per thread: tensors made by the producer belong to
/// no scope of the consumer's.)
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class Prefetcher<T> : IDisposable
{
    private readonly BlockingCollection<(T Item, ExceptionDispatchInfo? Error)> _queue;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Thread _thread;
    private long _taken;
    private bool _disposed;

    /// <summary>Starts producing.</summary>
    /// <param name="produce">Makes item i; runs on the background thread.</param>
    /// <param name="count">Number of items, or null for no end.</param>
    /// <param name="capacity">Finished items held ahead of the consumer (at least 1).</param>
    /// <param name="start">Index of the first item (to resume a run).</param>
    public Prefetcher(Func<long, CancellationToken, T> produce, long? count = null, int capacity = 2, long start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (count is < 0)
            throw new ArgumentOutOfRangeException(nameof(count));
        _queue = new BlockingCollection<(T, ExceptionDispatchInfo?)>(capacity);
        _taken = start;
        long end = count is null ? long.MaxValue : start + count.Value;
        var token = _cancel.Token;
        _thread = new Thread(() =>
        {
            try
            {
                for (long i = start; i < end && !token.IsCancellationRequested; i++)
                {
                    T item;
                    try
                    {
                        item = produce(i, token);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception e)
                    {
                        _queue.Add((default!, ExceptionDispatchInfo.Capture(e)));
                        break;
                    }
                    try
                    {
                        _queue.Add((item, null), token);
                    }
                    catch (OperationCanceledException)
                    {
                        (item as IDisposable)?.Dispose();
                        break;
                    }
                }
            }
            finally
            {
                _queue.CompleteAdding();
            }
        })
        {
            IsBackground = true,
            Name = "xbm-prefetch",
        };
        _thread.Start();
    }

    /// <summary>Index of the item the next call to <see cref="Next"/> returns.</summary>
    public long NextIndex => Interlocked.Read(ref _taken);

    /// <summary>Items finished and waiting.</summary>
    public int Ready => _queue.Count;

    /// <summary>The next item (waits for it); rethrows the producer's exception; fails after the last item.</summary>
    public T Next()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_queue.TryTake(out var entry, Timeout.Infinite))
            throw new InvalidOperationException("the prefetcher has no more items");
        entry.Error?.Throw();
        Interlocked.Increment(ref _taken);
        return entry.Item;
    }

    /// <summary>Stops the producer, waits for it, and disposes the items nobody took.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _cancel.Cancel();
        // Free a producer blocked on a full queue, then wait for it to finish.
        while (_thread.IsAlive)
        {
            while (_queue.TryTake(out var pending))
                (pending.Item as IDisposable)?.Dispose();
            _thread.Join(10);
        }
        while (_queue.TryTake(out var rest))
            (rest.Item as IDisposable)?.Dispose();
        _queue.Dispose();
        _cancel.Dispose();
    }
}
