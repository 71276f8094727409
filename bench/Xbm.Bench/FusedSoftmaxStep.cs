using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace Xbm.Bench;

/// <summary>
/// Issue 18, benchmark only: the InfoNCE memory step (denominator over all keys) with both products in one pass over
/// the memory, the way FlashAttention computes attention: for each group of 96 keys, S for all queries in registers
/// (<see cref="HostSimilarityProduct"/>'s tile), the exponentials against each query's running maximum, and the
/// group's contribution to Σ_a e^{s_ia/τ − m_i}·K_a (<see cref="HostGradientProduct"/>'s tile) while the keys are still
/// in cache. S and G are never written. When a query's maximum grows, its running sums are rescaled. The threads split
/// the memory and merge their sums at the end.
/// </summary>
/// <remarks>
/// ℓ_i = LSE_a(s_ia/τ) − mean_{p∈P_i} s_ip/τ and ∂ℓ_i/∂Q_i = Σ_a softmax_ia·K_a/τ − Σ_{p∈P_i} K_p/(τ|P_i|), as the
/// library's row form (NPairLoss.AllRow) defines them; rows without a positive or a negative contribute nothing.
/// </remarks>
internal static unsafe class FusedSoftmaxStep
{
    private const int KeysPerGroup = 96, Lanes = 16, ColumnsPerSlice = 32, QueriesPerTile = 8;

    /// <summary>
    /// The summed loss of the rows and its gradient with respect to the queries (B×d), for the loss's divisor; with the
    /// time of the parallel pass over the memory, each thread's mean time in its three phases, and the merge, in ms.
    /// </summary>
    public sealed record Result(double Sum, float[] Gradient, int ActiveRows, double Pass, double Similarities, double Exponentials, double Product, double Merge);

    /// <summary>Runs the fused step on float32 CPU tensors; B and d must be multiples of 32, M of 96 (a prototype).</summary>
    public static Result Run(Tensor queries, Tensor keys, int[] queryLabels, int[] keyLabels, double temperature, int threads)
    {
        int b = (int)queries.shape[0], m = (int)keys.shape[0], d = (int)keys.shape[1];
        if (b % HostSimilarityProduct.QueriesPerTile != 0 || d % ColumnsPerSlice != 0 || m % KeysPerGroup != 0)
            throw new ArgumentException("the fused step needs B and d multiples of 32 and M a multiple of 96");
        using var hostKeys = keys.contiguous();
        var packed = GC.AllocateUninitializedArray<float>(b * d, pinned: true);
        using (var hostQueries = queries.detach().contiguous())
            HostSimilarityProduct.PackTransposed((float*)HostAddress.Of(hostQueries), b, d, packed);
        float* k = (float*)HostAddress.Of(hostKeys);
        int groups = m / KeysPerGroup;
        int parts = Math.Max(1, Math.Min(threads, groups));
        var states = new State[parts];
        var pass = new Stopwatch();
        fixed (float* qt = packed)
        fixed (int* ql = queryLabels, kl = keyLabels)
        {
            nint qtAddress = (nint)qt, qlAddress = (nint)ql, klAddress = (nint)kl;
            pass.Start();
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                int first = groups * part / parts, end = groups * (part + 1) / parts;
                var state = new State(b, d);
                states[part] = state;
                state.Run((float*)qtAddress, k, d, (int*)qlAddress, (int*)klAddress, first, end, (float)(1 / temperature));
            });
        }
        pass.Stop();
        var merge = Stopwatch.StartNew();
        var (sum, gradient, active) = Merge(states, b, d, temperature);
        return new Result(sum, gradient, active, pass.Elapsed.TotalMilliseconds, states.Average(s => s.TimeS), states.Average(s => s.TimeE),
            states.Average(s => s.TimeA), merge.Elapsed.TotalMilliseconds);
    }

    private static (double Sum, float[] Gradient, int Active) Merge(State[] states, int b, int d, double temperature)
    {
        var gradient = new float[b * d];
        double sum = 0;
        int active = 0;
        for (int i = 0; i < b; i++)
        {
            double maximum = double.NegativeInfinity;
            foreach (var s in states)
                maximum = Math.Max(maximum, s.Maximum[i]);
            double total = 0, positiveSum = 0;
            long positives = 0, keys = 0;
            foreach (var s in states)
            {
                total += s.Total[i] * Math.Exp(s.Maximum[i] - maximum);
                positiveSum += s.PositiveSum[i];
                positives += s.Positives[i];
                keys += s.Keys;
            }
            if (positives == 0 || positives == keys)
                continue;
            active++;
            sum += Math.Log(total) + maximum - positiveSum / (positives * temperature);
            var factors = states.Select(s => Math.Exp(s.Maximum[i] - maximum) / (temperature * total)).ToArray();
            double pullFactor = 1 / (temperature * positives);
            for (int t = 0; t < d; t++)
            {
                double value = 0, pull = 0;
                for (int p = 0; p < states.Length; p++)
                {
                    value += states[p].Weighted[(long)i * d + t] * factors[p];
                    pull += states[p].PositiveKeys[(long)i * d + t];
                }
                gradient[(long)i * d + t] = (float)(value - pull * pullFactor);
            }
        }
        return (sum, gradient, active);
    }

    // One thread's running sums over its share of the memory.
    private sealed class State(int b, int d)
    {
        public readonly double[] Maximum = Enumerable.Repeat(double.NegativeInfinity, b).ToArray(), Total = new double[b], PositiveSum = new double[b];
        public readonly long[] Positives = new long[b];
        public long Keys;
        public double TimeS, TimeE, TimeA;
        public readonly float[] Weighted = GC.AllocateArray<float>(b * d, pinned: true), PositiveKeys = GC.AllocateArray<float>(b * d, pinned: true);

        public void Run(float* qt, float* k, int d, int* queryLabels, int* keyLabels, int first, int end, float inverseTemperature)
        {
            int blocks = b / HostSimilarityProduct.QueriesPerTile;
            var sums = GC.AllocateUninitializedArray<float>(HostSimilarityProduct.KeysPerTile * HostSimilarityProduct.QueriesPerTile, pinned: true);
            var stage = GC.AllocateUninitializedArray<float>(b * KeysPerGroup, pinned: true);
            var rows = new nint[b];
            var scale = Vector512.Create(inverseTemperature);
            var maxima = Enumerable.Repeat(float.NegativeInfinity, b).ToArray();
            var totals = new Vector512<float>[b];
            fixed (float* sumsAddress = sums, stageAddress = stage, weighted = Weighted, positiveKeys = PositiveKeys)
            {
                for (int r = 0; r < b; r++)
                    rows[r] = (nint)(stageAddress + r * KeysPerGroup);
                var clock = new Stopwatch();
                for (int group = first; group < end; group++)
                {
                    clock.Restart();
                    int j0 = group * KeysPerGroup;
                    float* groupKeys = k + (long)j0 * d;
                    // S for the group's 96 keys and every query, into stage[i·96 + c].
                    for (int tile = 0; tile < KeysPerGroup / HostSimilarityProduct.KeysPerTile; tile++)
                        for (int i = 0; i < blocks; i++)
                        {
                            float* tileKeys = groupKeys + (long)tile * HostSimilarityProduct.KeysPerTile * d;
                            HostSimilarityProduct.Tile(qt + (long)i * d * HostSimilarityProduct.QueriesPerTile, tileKeys, d, sumsAddress,
                                tileKeys + (long)HostSimilarityProduct.KeysPerTile * d);
                            HostSimilarityProduct.TransposeTile(sumsAddress, stageAddress + i * HostSimilarityProduct.QueriesPerTile * KeysPerGroup
                                + tile * HostSimilarityProduct.KeysPerTile, KeysPerGroup, HostSimilarityProduct.QueriesPerTile);
                        }
                    TimeS += clock.Elapsed.TotalMilliseconds; clock.Restart();
                    // Per query: the positives, the running maximum (rescaling the sums when it grows), the exponentials.
                    for (int i = 0; i < b; i++)
                    {
                        float* row = stageAddress + i * KeysPerGroup;
                        var label = Vector512.Create(queryLabels[i]);
                        var groupMaximum = Vector512.Create(float.NegativeInfinity);
                        for (int c = 0; c < KeysPerGroup; c += Lanes)
                        {
                            ulong positives = Vector512.Equals(Vector512.Load(keyLabels + j0 + c), label).ExtractMostSignificantBits();
                            if (positives != 0)
                                AddPositives(i, row + c, positives, groupKeys + (long)c * d, d, positiveKeys + (long)i * d);
                            var scaled = Vector512.Load(row + c) * scale;
                            scaled.Store(row + c);
                            groupMaximum = Vector512.Max(groupMaximum, scaled);
                        }
                        if (Vector512.GreaterThanAny(groupMaximum, Vector512.Create(maxima[i])))
                        {
                            float grown = MaxOf(groupMaximum);
                            if (maxima[i] > float.NegativeInfinity)
                                Rescale(weighted + (long)i * d, d, MathF.Exp(maxima[i] - grown), ref totals[i]);
                            maxima[i] = grown;
                        }
                        var offset = Vector512.Create(-maxima[i]);
                        var total = totals[i];
                        for (int c = 0; c < KeysPerGroup; c += Lanes)
                        {
                            var e = NonPositiveExp(Vector512.Load(row + c) + offset);
                            e.Store(row + c);
                            total += e;
                        }
                        totals[i] = total;
                    }
                    TimeE += clock.Elapsed.TotalMilliseconds; clock.Restart();
                    // Σ e_ia·K_a for the group, into the running sums, while the keys are still in cache.
                    for (int slice = 0; slice < d / ColumnsPerSlice; slice++)
                        for (int i = 0; i < b; i += QueriesPerTile)
                            HostGradientProduct.Tile(rows, i, 0, KeysPerGroup, groupKeys + slice * ColumnsPerSlice, d,
                                weighted + (long)i * d + slice * ColumnsPerSlice);
                    TimeA += clock.Elapsed.TotalMilliseconds;
                }
                Keys = (long)(end - first) * KeysPerGroup;
                for (int i = 0; i < b; i++)
                {
                    Maximum[i] = maxima[i];
                    Total[i] = Vector512.Sum(Vector512.WidenLower(totals[i]) + Vector512.WidenUpper(totals[i]));
                }
            }
        }

        private void AddPositives(int i, float* row, ulong mask, float* groupKeys, int d, float* positiveKeys)
        {
            while (mask != 0)
            {
                int c = BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                Positives[i]++;
                PositiveSum[i] += row[c];
                float* key = groupKeys + (long)c * d;
                for (int t = 0; t < d; t += Lanes)
                    (Vector512.Load(positiveKeys + t) + Vector512.Load(key + t)).Store(positiveKeys + t);
            }
        }

        private static void Rescale(float* weighted, int d, float factor, ref Vector512<float> total)
        {
            var f = Vector512.Create(factor);
            total *= f;
            for (int t = 0; t < d; t += Lanes)
                (Vector512.Load(weighted + t) * f).Store(weighted + t);
        }

        // e^x for x ≤ 0 (the Cephes single-precision method of the library's VectorExp, in 16 lanes): x = n·ln 2 + r,
        // e^r from a degree-6 polynomial, 2^n in the exponent bits; 0 below −87.3.
        private static Vector512<float> NonPositiveExp(Vector512<float> x)
        {
            var clamped = Vector512.Max(x, Vector512.Create(-87.3f));
            var n = Vector512.Floor(clamped * Vector512.Create(1.44269504088896341f) + Vector512.Create(0.5f));
            var r = clamped - n * Vector512.Create(0.693359375f) - n * Vector512.Create(-2.12194440e-4f);
            var p = Vector512.Create(1.9875691500e-4f);
            p = p * r + Vector512.Create(1.3981999507e-3f);
            p = p * r + Vector512.Create(8.3334519073e-3f);
            p = p * r + Vector512.Create(4.1665795894e-2f);
            p = p * r + Vector512.Create(1.6666665459e-1f);
            p = p * r + Vector512.Create(5.0000001201e-1f);
            p = p * (r * r) + r + Vector512.Create(1f);
            var power = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
            return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-87.3f)), Vector512<float>.Zero, p * power);
        }

        private static float MaxOf(Vector512<float> v)
        {
            var half = Vector256.Max(v.GetLower(), v.GetUpper());
            var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
            return Math.Max(Math.Max(quarter[0], quarter[1]), Math.Max(quarter[2], quarter[3]));
        }
    }
}
