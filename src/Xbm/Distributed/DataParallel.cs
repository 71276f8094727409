using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Distributed;

/// <summary>
/// Tensor-level collectives of data-parallel training (docs/design.md §10): gathering the ranks' embedding rows in rank
/// order, summing and averaging gradients, and broadcasting the model state. CPU tensors of float32 (labels int64).
/// </summary>
public static class DataParallel
{
    /// <summary>The ranks' <paramref name="rows"/> (each b × d, float32) concatenated in rank order: N·b × d, detached.</summary>
    public static Tensor GatherRows(ICollective collective, Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(collective);
        var send = rows.detach().cpu().contiguous().to_type(float32).data<float>().ToArray();
        var receive = new float[send.Length * collective.Size];
        collective.AllGather(send, receive);
        return tensor(receive, new[] { rows.shape[0] * collective.Size, rows.shape[1] }).to(rows.device);
    }

    /// <summary>The ranks' int64 values concatenated in rank order.</summary>
    public static long[] GatherValues(ICollective collective, long[] values)
    {
        ArgumentNullException.ThrowIfNull(collective);
        var receive = new long[values.Length * collective.Size];
        collective.AllGather(values, receive);
        return receive;
    }

    /// <summary>The element-wise sum of <paramref name="value"/> (float32, same shape on every rank) over the ranks, as a new tensor.</summary>
    public static Tensor SumOverRanks(ICollective collective, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(collective);
        var buffer = value.detach().cpu().contiguous().to_type(float32).data<float>().ToArray();
        collective.AllReduceSum(buffer);
        return tensor(buffer, value.shape).to(value.device);
    }

    /// <summary>The mean over the ranks of each value.</summary>
    public static double[] MeanOverRanks(ICollective collective, params double[] values)
    {
        ArgumentNullException.ThrowIfNull(collective);
        var buffer = (double[])values.Clone();
        collective.AllReduceSum(buffer);
        for (int i = 0; i < buffer.Length; i++)
            buffer[i] /= collective.Size;
        return buffer;
    }

    /// <summary>Rank <paramref name="root"/>'s <paramref name="value"/>, on every rank.</summary>
    public static bool Broadcast(ICollective collective, bool value, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(collective);
        var buffer = new[] { value ? 1f : 0f };
        collective.Broadcast(buffer, root);
        return buffer[0] != 0;
    }

    /// <summary>
    /// Replaces each parameter's gradient by its mean over the ranks, in one all-reduce over the concatenated
    /// gradients (parameters without a gradient on this rank must have none on every rank).
    /// </summary>
    public static void AverageGradients(ICollective collective, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(collective);
        var gradients = parameters.Select(p => p.grad).OfType<Tensor>().ToArray();
        var buffer = Flatten(gradients);
        collective.AllReduceSum(buffer);
        float inverse = 1f / collective.Size;
        for (int i = 0; i < buffer.Length; i++)
            buffer[i] *= inverse;
        Unflatten(buffer, gradients);
    }

    /// <summary>Copies rank <paramref name="root"/>'s tensors (parameters and buffers of a model) to every rank, in place.</summary>
    public static void Broadcast(ICollective collective, IReadOnlyList<Tensor> tensors, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(collective);
        var floating = tensors.Where(t => t.dtype == float32).ToArray();
        var buffer = Flatten(floating);
        collective.Broadcast(buffer, root);
        Unflatten(buffer, floating);
    }

    /// <summary>The float32 values of <paramref name="tensors"/>, concatenated in order.</summary>
    public static float[] Flatten(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var buffer = new float[tensors.Sum(t => t.numel())];
        long offset = 0;
        foreach (var t in tensors)
        {
            using var host = t.detach().cpu().contiguous();
            host.data<float>().CopyTo(buffer, checked((int)offset));
            offset += t.numel();
        }
        return buffer;
    }

    /// <summary>A SHA-256 (hex) of the float32 rows and int64 labels given: equal on two ranks exactly when every bit is.</summary>
    public static string Hash(Tensor rows, Tensor labels)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(Flatten(new[] { rows }).AsSpan()));
        using var host = labels.detach().cpu().contiguous();
        hash.AppendData(MemoryMarshal.AsBytes(host.data<long>().ToArray().AsSpan()));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static void Unflatten(float[] buffer, IReadOnlyList<Tensor> tensors)
    {
        using var noGrad = no_grad();
        long offset = 0;
        foreach (var t in tensors)
        {
            long n = t.numel();
            using var values = tensor(buffer.AsSpan((int)offset, (int)n).ToArray(), t.shape);
            t.copy_(values);
            offset += n;
        }
    }
}
