using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

/// <summary>
/// The formula of tools/fixtures/make_backbone_fixtures.py, repeated: every parameter and buffer gets values
/// from its state_dict name and flat index, so the C# model and the Python reference hold identical weights.
/// </summary>
internal static class DeterministicWeights
{
    public static uint Fnv1a(string name)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(name))
        {
            h ^= b;
            h *= 16777619;
        }
        return h;
    }

    /// <summary>u(i) in [0, 1): murmur3's 32-bit finaliser of i · 0x9E3779B9 + h.</summary>
    public static double Uniform(long i, uint h)
    {
        uint x = unchecked((uint)i * 0x9E3779B9u + h);
        x ^= x >> 16;
        x = unchecked(x * 0x85EBCA6Bu);
        x ^= x >> 13;
        x = unchecked(x * 0xC2B2AE35u);
        x ^= x >> 16;
        return x / 4294967296.0;
    }

    public static float[] Values(string name, long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        uint h = Fnv1a(name);
        string leaf = name[(name.LastIndexOf('.') + 1)..];
        double bound = shape.Length >= 2 ? Math.Sqrt(6.0 / (n / shape[0])) : 0;
        var values = new float[n];
        for (long i = 0; i < n; i++)
        {
            double u = Uniform(i, h);
            values[i] = (float)(leaf switch
            {
                "running_var" => 0.5 + u,
                "running_mean" => (u - 0.5) * 0.2,
                "weight" when shape.Length >= 2 => (2.0 * u - 1.0) * bound,
                "weight" => 0.5 + 0.5 * u,
                "bias" => (u - 0.5) * 0.2,
                _ => throw new InvalidOperationException($"no formula for {name}"),
            });
        }
        return values;
    }

    /// <summary>Fills every float tensor of the module's state_dict; returns the float64 sum of each key's values.</summary>
    public static Dictionary<string, double> Fill(nn.Module module)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, t) in module.state_dict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                sums[name] = 0;
                continue;
            }
            float[] v = Values(name, t.shape);
            sums[name] = v.Sum(f => (double)f);
            using var source = tensor(v, t.shape);
            t.copy_(source);
        }
        return sums;
    }

    /// <summary>The fixture input: (2u − 1) · 2 with h = FNV-1a("input"), shape 2×3×64×64.</summary>
    public static Tensor Input()
    {
        long[] shape = [2, 3, 64, 64];
        long n = shape.Aggregate(1L, (a, b) => a * b);
        uint h = Fnv1a("input");
        var v = new float[n];
        for (long i = 0; i < n; i++)
            v[i] = (float)((2.0 * Uniform(i, h) - 1.0) * 2.0);
        return tensor(v, shape);
    }
}
