namespace Xbm.Data.Glyphs;

/// <summary>
/// A small deterministic random source (SplitMix64) for the glyph benchmark, with stable seed derivation: the
/// numbers depend only on the seed and the keys mixed in, never on the platform, the thread or the order of work,
/// so that any subset of the images renders the same bytes.
/// </summary>
public struct GlyphRandom
{
    private ulong _state;

    /// <summary>Starts a sequence from <paramref name="seed"/>.</summary>
    public GlyphRandom(ulong seed) => _state = seed;

    /// <summary>The sequence of one image: derived from the dataset seed, the character and the instance's id.</summary>
    public static GlyphRandom ForImage(int seed, int codePoint, string instanceId)
    {
        ulong key = Mix((ulong)(uint)seed ^ 0x5851F42D4C957F2DUL);
        key = Mix(key ^ (ulong)(uint)codePoint);
        key = Mix(key ^ Fnv1a(instanceId));
        return new GlyphRandom(key);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A number in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A number in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>An integer in [0, <paramref name="count"/>).</summary>
    public int NextInt(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return (int)(NextUInt64() % (ulong)count);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string text)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in text)
        {
            hash ^= c;
            hash *= 0x100000001B3UL;
        }
        return hash;
    }
}
