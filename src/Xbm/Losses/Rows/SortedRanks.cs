using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xbm.Losses;

/// <summary>
/// Rank queries on one row's sorted positive similarities: how many are below (or at most) a value, for eight values
/// at a time. A table of buckets over the positives' range gives, for a value's bucket, the ranks of the positives in
/// that bucket; with about eight buckets per positive most buckets hold none or one, so a query costs a table lookup
/// and one comparison instead of a binary search over all positives.
/// </summary>
/// <remarks>
/// Exact for any data: the bucket of a value is a monotone function of it (IEEE subtraction, multiplication, clamping
/// and truncation are monotone), so every positive in a lower bucket is below the value and every positive in a
/// higher bucket above it. Values outside the positives' range land in the end buckets, which hold the lowest and the
/// highest positive. A bucket holding several positives (clustered or collapsed embeddings) is searched one lane at a
/// time. The table and the values must stay pinned while the ranks are used.
/// </remarks>
internal readonly unsafe struct SortedRanks
{
    private readonly float* _sorted;
    private readonly int* _start, _packed;
    private readonly float* _values;
    private readonly int _count, _buckets;
    private readonly float _low, _scale;

    /// <summary>The table length for <paramref name="count"/> positives: bucket starts, packed buckets, bucket values.</summary>
    public static int TableLength(int count) => 3 * BucketCount(count) + 1;

    private static int BucketCount(int count) => Math.Max(16, 8 * count);

    /// <summary>Builds the table over <paramref name="count"/> ascending finite values in <paramref name="table"/> (pinned).</summary>
    public SortedRanks(float* sorted, int count, int* table)
    {
        _sorted = sorted;
        _count = count;
        _start = table;
        _buckets = BucketCount(count);
        _low = sorted[0];
        float high = sorted[count - 1];
        _scale = high > _low ? (float)(_buckets / ((double)high - _low)) : 0;
        // start[b] = number of positives in buckets below b; start[buckets] = all of them.
        new Span<int>(table, _buckets + 1).Clear();
        for (int p = 0; p < count; p++)
            table[Bucket(sorted[p]) + 1]++;
        for (int b = 0; b < _buckets; b++)
            table[b + 1] += table[b];
        // Per bucket, for the vector queries: its first rank and whether it holds 0, 1 or more positives in one int
        // (rank · 4 + min(occupancy, 2)), and its lowest value (+∞ when empty); two independent lookups per query.
        _packed = table + _buckets + 1;
        _values = (float*)(_packed + _buckets);
        for (int b = 0; b < _buckets; b++)
        {
            int first = table[b], occupancy = table[b + 1] - first;
            _packed[b] = first * 4 + Math.Min(occupancy, 2);
            _values[b] = occupancy > 0 ? sorted[first] : float.PositiveInfinity;
        }
    }

    private int Bucket(float v)
    {
        // NaN compares false and lands in bucket 0.
        float x = (v - _low) * _scale;
        return !(x > 0) ? 0 : x >= _buckets ? _buckets - 1 : (int)x;
    }

    /// <summary>Per lane, the number of positives strictly below <paramref name="v"/>.</summary>
    public Vector256<int> CountBelow(Vector256<float> v) => Count(v, atMost: false);

    /// <summary>Per lane, the number of positives at most <paramref name="v"/>.</summary>
    public Vector256<int> CountAtMost(Vector256<float> v) => Count(v, atMost: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<int> Count(Vector256<float> v, bool atMost)
    {
        if (!Avx2.IsSupported)
            return CountLanes(v, atMost);
        // Avx.Max returns its second operand for NaN: NaN lands in bucket 0, as in Bucket.
        var x = Avx.Min(Avx.Max((v - Vector256.Create(_low)) * Vector256.Create(_scale), Vector256<float>.Zero), Vector256.Create((float)(_buckets - 1)));
        var bucket = Avx.ConvertToVector256Int32WithTruncation(x);
        var packed = Avx2.GatherVector256(_packed, bucket, 4);
        var value = Avx2.GatherVector256(_values, bucket, 4);
        var first = Vector256.ShiftRightArithmetic(packed, 2);
        var occupancy = packed & Vector256.Create(3);
        // A lane with an empty bucket counts the positives below it; with one, that positive too if it compares (an
        // empty bucket's value is +∞ and never does).
        var counted = atMost ? Vector256.LessThanOrEqual(value, v) : Vector256.LessThan(value, v);
        var result = first - counted.AsInt32();
        var crowded = Vector256.GreaterThan(occupancy, Vector256.Create(1));
        return crowded == Vector256<int>.Zero ? result : CountCrowded(v, atMost, result, crowded);
    }

    // Replaces the lanes whose bucket holds several positives by a search of that bucket, one lane at a time.
    private Vector256<int> CountCrowded(Vector256<float> v, bool atMost, Vector256<int> result, Vector256<int> crowded)
    {
        uint lanes = crowded.ExtractMostSignificantBits();
        while (lanes != 0)
        {
            int lane = System.Numerics.BitOperations.TrailingZeroCount(lanes);
            result = result.WithElement(lane, CountOne(v.GetElement(lane), atMost));
            lanes &= lanes - 1;
        }
        return result;
    }

    /// <summary>The counts one lane at a time (the path without AVX2).</summary>
    internal Vector256<int> CountLanes(Vector256<float> v, bool atMost)
    {
        Span<int> counts = stackalloc int[8];
        for (int lane = 0; lane < 8; lane++)
            counts[lane] = CountOne(v.GetElement(lane), atMost);
        return Vector256.Create<int>(counts);
    }

    private int CountOne(float v, bool atMost)
    {
        int b = Bucket(v);
        int first = _start[b], last = _start[b + 1];
        // The first rank in [first, last) whose value is ≥ v (< v counted) or > v (≤ v counted).
        while (last - first > 8)
        {
            int middle = (first + last) >>> 1;
            if (atMost ? _sorted[middle] <= v : _sorted[middle] < v)
                first = middle + 1;
            else
                last = middle;
        }
        while (first < last && (atMost ? _sorted[first] <= v : _sorted[first] < v))
            first++;
        return first;
    }
}
